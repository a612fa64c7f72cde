using GanDsl.Verification;
using TorchSharp;
using static TorchSharp.torch;

namespace GanDsl.Losses.Tests;

/// <summary>
/// The state each stateful loss carries, step by step, against a computation written out here by hand
/// from LOSSES.md: BEGAN's k, Fisher GAN's λ, MAGAN's margin rule. Each would fail with a flipped sign
/// or an update applied one step early or late.
/// </summary>
public sealed class StateRuleTests
{
    private static readonly LossRegistry Registry = Zoo.CreateRegistry();
    private static readonly GoldenFile Reference = GoldenFile.Load(TestPaths.ZooReference);

    private sealed class FixedRandom : IStepRandom
    {
        public Tensor PerSampleUniform(long batch, ScalarType dtype, Device device) => throw new InvalidOperationException("no draws expected");
        public Tensor ElementwiseUniform(long[] shape, ScalarType dtype, Device device) => throw new InvalidOperationException("no draws expected");
    }

    private static StepContext Context(Tensor x, Tensor z, Dictionary<string, nn.Module<Tensor, Tensor>> nets) => new(x, z, nets, new FixedRandom());

    private static double Value(Tensor t) => t.ToDouble();

    private static void ZeroGrads(IEnumerable<nn.Module<Tensor, Tensor>> nets)
    {
        foreach (var net in nets) net.zero_grad();
    }

    /// <summary>Plain gradient descent on the critic, so the values of later steps differ.</summary>
    private static void Descend(nn.Module<Tensor, Tensor> net, double lr)
    {
        using var _ = torch.no_grad();
        foreach (var p in net.parameters())
        {
            using var g = p.grad;
            if (g is not null) p.sub_(g * lr);
        }
    }

    [Fact]
    public void BeganKFollowsTheProportionalControlAndItsClamp()
    {
        using var scope = torch.NewDisposeScope();
        using var ae = new GoldenNetwork(Reference.Nets["AE"]);
        using var g = new GoldenNetwork(Reference.Nets["G"]);
        var nets = new Dictionary<string, nn.Module<Tensor, Tensor>> { ["AE"] = ae, ["G"] = g };
        var loss = Registry.Create("began");
        Assert.Equal(0, loss.State["k"]);   // k₀ = 0
        var data = new Generator(11);

        // γ = 5 first (k must rise and stop at 1), then γ = 0 (k must fall and stop at 0): both clamps are hit.
        loss.Hyper["LambdaK"] = 0.4;
        double k = 0;
        var seen = new List<double>();
        for (int step = 0; step < 12; step++)
        {
            var gamma = step < 6 ? 5.0 : 0.0;
            loss.Hyper["Gamma"] = gamma;
            var x = torch.randn([4, 2], ScalarType.Float64, generator: data) * 1.5;
            var z = torch.randn([4, 2], ScalarType.Float64, generator: data);

            double lReal, lFake;
            using (torch.no_grad())
            {
                var fake = g.call(z);
                lReal = Value((ae.call(x) - x).abs().mean());
                lFake = Value((ae.call(fake) - fake).abs().mean());
            }
            var expectedLoss = lReal - k * lFake;   // the loss uses k before this step's update
            var kNext = Math.Clamp(k + 0.4 * (gamma * lReal - lFake), 0, 1);

            ZeroGrads(nets.Values);
            var result = loss.DiscriminatorStep(Context(x, z, nets));
            Assert.Equal(expectedLoss, result.Loss, 1e-12);
            Assert.Equal(kNext, loss.State["k"], 1e-12);

            // The generator step reads k but never changes it.
            ZeroGrads(nets.Values);
            loss.GeneratorStep(Context(x, z, nets));
            Assert.Equal(kNext, loss.State["k"], 1e-12);

            Descend(ae, 0.05);
            k = kNext;
            seen.Add(k);
        }
        Assert.Contains(1.0, seen.Take(6));
        Assert.Equal(0.0, seen[^1]);
        Assert.Contains(seen, v => v is > 0 and < 1);
    }

    [Fact]
    public void FisherLambdaMovesAgainstTheConstraintViolation()
    {
        using var scope = torch.NewDisposeScope();
        using var d = new GoldenNetwork(Reference.Nets["D"]);
        using var g = new GoldenNetwork(Reference.Nets["G"]);
        var nets = new Dictionary<string, nn.Module<Tensor, Tensor>> { ["D"] = d, ["G"] = g };
        var loss = Registry.Create("fisher");
        Assert.Equal(0, loss.State["Lambda"]);   // λ₀ = 0
        Assert.Equal(1e-6, loss.Hyper["Rho"]);
        const double rho = 0.3;                  // large, so λ moves visibly
        loss.Hyper["Rho"] = rho;
        var data = new Generator(5);

        double lambda = 0;
        for (int step = 0; step < 6; step++)
        {
            var x = torch.randn([4, 2], ScalarType.Float64, generator: data) * 1.2;
            var z = torch.randn([4, 2], ScalarType.Float64, generator: data);
            double fx, ffake, omega;
            using (torch.no_grad())
            {
                var real = d.call(x);
                var fake = d.call(g.call(z));
                fx = Value(real.mean());
                ffake = Value(fake.mean());
                omega = 0.5 * (Value(real.square().mean()) + Value(fake.square().mean()));
            }
            var lf = fx - ffake + lambda * (1 - omega) - rho / 2 * (1 - omega) * (1 - omega);
            var lambdaNext = lambda - rho * (1 - omega);

            ZeroGrads(nets.Values);
            var result = loss.DiscriminatorStep(Context(x, z, nets));
            Assert.Equal(-lf, result.Loss, 1e-12);
            Assert.Equal(lambdaNext, loss.State["Lambda"], 1e-12);

            Descend(d, 0.1);
            lambda = lambdaNext;
        }
        Assert.NotEqual(0, lambda);
    }

    // ---------------------------------------------------------------- MAGAN

    /// <summary>AE(v) = LeakyReLU(0.2)(v) exactly (identity layers), G(z) = z: energies are known in closed form.</summary>
    private static (GoldenNetwork Ae, GoldenNetwork G) TransparentNets()
    {
        double[] identity = [1, 0, 0, 1];
        var layer = new GoldenLayer(identity, [0, 0], 2, 2);
        return (new GoldenNetwork([layer, layer]), new GoldenNetwork([layer]));
    }

    /// <summary>E e(v): the batch mean of each sample's mean squared reconstruction error, (0.8·min(v, 0))² here.</summary>
    private static double Energy(double[,] v)
    {
        double sum = 0;
        for (int i = 0; i < v.GetLength(0); i++)
            for (int j = 0; j < v.GetLength(1); j++)
            {
                var r = 0.8 * Math.Min(v[i, j], 0);
                sum += r * r;
            }
        return sum / v.Length;
    }

    private static Tensor Batch(double[,] v)
    {
        var flat = new double[v.Length];
        Buffer.BlockCopy(v, 0, flat, 0, v.Length * sizeof(double));
        return torch.tensor(flat, [v.GetLength(0), v.GetLength(1)], ScalarType.Float64);
    }

    private static double[,] Filled(double a, double b) => new[,] { { a, 1 }, { b, 0.5 }, { 2, a }, { b, b } };

    [Fact]
    public void MaganMarginOnlyShrinksToTheEpochRealEnergyWhenFakesExceedIt()
    {
        using var scope = torch.NewDisposeScope();
        var (ae, g) = TransparentNets();
        using var _ae = ae;
        using var _g = g;
        var nets = new Dictionary<string, nn.Module<Tensor, Tensor>> { ["AE"] = ae, ["G"] = g };
        var loss = Registry.Create("magan");
        loss.State["Margin"] = 10;

        double margin = 10;
        void Epoch(params (double[,] Real, double[,] Fake)[] batches)
        {
            foreach (var (real, fake) in batches)
            {
                // The hinge uses the margin of the current epoch.
                var eFakePerSample = Enumerable.Range(0, 4).Select(i => Energy(Row(fake, i))).ToArray();
                var expected = Energy(real) + eFakePerSample.Select(e => Math.Max(0, margin - e)).Average();
                ZeroGrads(nets.Values);
                var result = loss.DiscriminatorStep(Context(Batch(real), Batch(fake), nets));
                Assert.Equal(expected, result.Loss, 1e-12);
                Assert.Equal(margin, loss.State["Margin"], 1e-12);   // no change inside an epoch
            }
            var realMean = batches.Average(b => Energy(b.Real));
            var fakeMean = batches.Average(b => Energy(b.Fake));
            if (realMean < margin && fakeMean > realMean) margin = realMean;
            loss.EndOfEpoch(Context(Batch(batches[0].Real), Batch(batches[0].Fake), nets));
            Assert.Equal(margin, loss.State["Margin"], 1e-12);
        }

        // 1: real energy below m, fakes above it: m ← the epoch's mean real energy (mean of two batches).
        Epoch((Filled(-1, -0.5), Filled(-3, -2)), (Filled(-0.5, -0.2), Filled(-4, -1)));
        Assert.True(margin < 10);
        var afterFirst = margin;
        // 2: real energy lower still, but fakes below it: no change.
        Epoch((Filled(-0.3, -0.1), Filled(0.5, 0.2)));
        Assert.Equal(afterFirst, margin);
        // 3: fakes above, but the real energy exceeds m: m never grows.
        Epoch((Filled(-5, -4), Filled(-9, -8)));
        Assert.Equal(afterFirst, margin);
        // 4: both hold again: m shrinks to this epoch's real energy (the earlier epochs do not count).
        Epoch((Filled(-0.2, -0.1), Filled(-2, -2)));
        Assert.Equal(Energy(Filled(-0.2, -0.1)), margin, 1e-12);
    }

    private static double[,] Row(double[,] v, int i) => new[,] { { v[i, 0], v[i, 1] } };
}
