using GanDsl;
using TorchSharp;
using static TorchSharp.torch;
using GanDsl.Runtime.Tests.Training;

// Hand-written losses registered like generated ones, so the trainer's tests do not depend on the zoo's generated
// code. GanDsl.Cli.Tests compiles this file too (a linked file), so `gan train --assembly` finds them there.
[assembly: GeneratedGanLoss("test-nonsaturating", typeof(TestNonSaturating))]
[assembly: GeneratedGanLoss("test-wgan", typeof(TestWgan))]
[assembly: GeneratedGanLoss("test-asymmetric-clip", typeof(TestAsymmetricClip))]
[assembly: GeneratedGanLoss("test-spy", typeof(SpyLoss))]
[assembly: GeneratedGanLoss("test-stateful", typeof(TestStateful))]
[assembly: GeneratedGanLoss("test-no-critic", typeof(TestNoCritic))]
[assembly: GeneratedGanLoss("test-nan", typeof(TestNaN))]
[assembly: GeneratedGanLoss("test-nan-warned", typeof(TestNaNWarned))]
[assembly: GeneratedGanLoss("test-autoencoder", typeof(TestAutoencoder))]
[assembly: GeneratedGanLoss("test-huge-gradient", typeof(TestHugeGradient))]
[assembly: GeneratedGanLoss("test-throwing", typeof(TestThrowing))]
[assembly: GeneratedGanLoss("test-null-step", typeof(TestNullStep))]
[assembly: GeneratedGanLoss("test-ttur", typeof(TestTtur))]
[assembly: GeneratedGanLoss("test-conditional", typeof(TestConditional))]

namespace GanDsl.Runtime.Tests.Training;

/// <summary>Shared plumbing of the hand-written test losses.</summary>
public abstract class TestLossBase : IGanLoss
{
    protected TestLossBase(LossInfo info)
    {
        Info = info;
        Hyper = new Hyperparameters(info.Name, info.Hyperparameters);
        State = new LossState(info.States);
    }

    public LossInfo Info { get; }
    public Hyperparameters Hyper { get; }
    public LossState State { get; }
    public abstract StepResult DiscriminatorStep(StepContext c);
    public abstract StepResult GeneratorStep(StepContext c);
    public virtual void EndOfEpoch(StepContext c) { }

    protected static readonly NetworkInfo[] GD =
    [
        new("G", NetworkRole.Generator, NetworkOutput.Sample),
        new("D", NetworkRole.Critic, NetworkOutput.Score),
    ];

    protected static LossInfo MakeInfo(string name, int criticSteps = 1, ClipInfo[]? clipping = null, OptimizerDefaults? optimizer = null,
        HyperInfo[]? hypers = null, StateInfo[]? states = null, NetworkInfo[]? networks = null, bool hasCritic = true) =>
        new(name, "GanDsl.Runtime.Tests.Training." + name, $"{name} (test loss)", hasCritic ? "critic" : null, "generator",
            networks ?? GD, hypers ?? [], states ?? [], criticSteps, clipping ?? [], optimizer ?? OptimizerDefaults.Standard, false);

    /// <summary>The WGAN critic step E D(G(z)) - E D(x), backward taken.</summary>
    protected static StepResult WassersteinCriticStep(StepContext c)
    {
        var loss = CriticOnFake(c).mean() - c.Network("D").call(c.Real).mean();
        loss.backward();
        return new StepResult(loss.ToDouble());
    }

    /// <summary>D(G(z)) with G frozen (no graph into G), as generated critic steps do.</summary>
    protected static Tensor CriticOnFake(StepContext c)
    {
        Tensor fake;
        using (torch.no_grad()) fake = c.Network("G").call(c.Noise);
        return c.Network("D").call(fake);
    }

    /// <summary>D(G(z)) with D's parameters frozen, as generated generator steps do.</summary>
    protected static Tensor GeneratorThroughCritic(StepContext c)
    {
        var fake = c.Network("G").call(c.Noise);
        using var frozen = c.Freeze("D");
        return c.Network("D").call(fake);
    }
}

/// <summary>Non-saturating GAN (Goodfellow et al. 2014), hand-written.</summary>
public sealed class TestNonSaturating() : TestLossBase(MakeInfo("test-nonsaturating"))
{
    public override StepResult DiscriminatorStep(StepContext c)
    {
        var real = c.Network("D").call(c.Real);
        var fake = CriticOnFake(c);
        var loss = real.neg().softplus().mean() + fake.softplus().mean();
        loss.backward();
        return new StepResult(loss.ToDouble(), [new("real_logit", real.mean().ToDouble())]);
    }

    public override StepResult GeneratorStep(StepContext c)
    {
        var loss = GeneratorThroughCritic(c).neg().softplus().mean();
        loss.backward();
        return new StepResult(loss.ToDouble());
    }
}

/// <summary>WGAN (Arjovsky et al. 2017), hand-written: 5 critic steps, clipping to ±0.01, RMSprop.</summary>
public class TestWgan : TestLossBase
{
    public TestWgan() : this(MakeInfo("test-wgan", 5, [new ClipInfo("D", -0.01, 0.01)], new OptimizerDefaults("rmsprop", 5e-5))) { }

    protected TestWgan(LossInfo info) : base(info) { }

    public override StepResult DiscriminatorStep(StepContext c)
    {
        var loss = CriticOnFake(c).mean() - c.Network("D").call(c.Real).mean();
        loss.backward();
        return new StepResult(loss.ToDouble());
    }

    public override StepResult GeneratorStep(StepContext c)
    {
        var loss = GeneratorThroughCritic(c).mean().neg();
        loss.backward();
        return new StepResult(loss.ToDouble());
    }
}

/// <summary>WGAN with RWGAN-style asymmetric clipping [-0.02, 0.005].</summary>
public sealed class TestAsymmetricClip() : TestWgan(MakeInfo("test-asymmetric-clip", 2, [new ClipInfo("D", -0.02, 0.005)], new OptimizerDefaults("rmsprop", 5e-5)));

/// <summary>Records the order of step calls; three critic steps per generator step.</summary>
public sealed class SpyLoss() : TestLossBase(MakeInfo("test-spy", criticSteps: 3))
{
    public List<string> Calls { get; } = new();

    public override StepResult DiscriminatorStep(StepContext c)
    {
        Calls.Add("D");
        var loss = CriticOnFake(c).mean() - c.Network("D").call(c.Real).mean();
        loss.backward();
        return new StepResult(loss.ToDouble());
    }

    public override StepResult GeneratorStep(StepContext c)
    {
        Calls.Add("G");
        var loss = GeneratorThroughCritic(c).mean().neg();
        loss.backward();
        return new StepResult(loss.ToDouble());
    }

    public override void EndOfEpoch(StepContext c) => Calls.Add("epoch");
}

/// <summary>
/// A loss with a hyperparameter, a state updated after each critic step (BEGAN-like k), a gradient penalty
/// drawing from c.Random, two critic steps and a second noise batch: everything a resume must restore.
/// </summary>
public sealed class TestStateful() : TestLossBase(MakeInfo("test-stateful", criticSteps: 2,
    hypers: [new HyperInfo("Lambda", 0.1, "penalty weight"), new HyperInfo("Gain", 0.01, "state gain")],
    states: [new StateInfo("k", 0, StateUpdateTiming.AfterCriticStep, "k + Gain * (D(x) - D(G(z)))")],
    optimizer: new OptimizerDefaults("adam", 1e-3, 0.5, 0.9)))
{
    public override StepResult DiscriminatorStep(StepContext c)
    {
        var d = c.Network("D");
        Tensor fake;
        using (torch.no_grad()) fake = c.Network("G").call(c.Noise);
        var real = d.call(c.Real);
        var fakeScore = d.call(fake);
        var eps = c.Random.PerSampleUniform(c.Real.shape[0], ScalarType.Float32, torch.CPU).unsqueeze(1);
        var between = (c.Real * eps + fake * (1 - eps)).detach().requires_grad_(true);
        var grad = LossOps.Grad(d.call(between).sum(), between, Info.Name, "gp");
        var gp = (LossOps.PerSampleNorm(grad) - 1).square().mean();
        var k = State["k"];
        var loss = fakeScore.mean() * (1 + k) - real.mean() + Hyper["Lambda"] * gp;
        loss.backward();
        var kBefore = k;
        State["k"] = Math.Clamp(k + Hyper["Gain"] * (real.mean().ToDouble() - fakeScore.mean().ToDouble()), -0.5, 0.5);
        return new StepResult(loss.ToDouble(), [new("gp", gp.ToDouble()), new("k", kBefore)]);
    }

    public override StepResult GeneratorStep(StepContext c)
    {
        var g = c.Network("G");
        var fake2 = g.call(c.Noise2);
        var loss = GeneratorThroughCritic(c).mean().neg() + 0.01 * fake2.square().mean();
        loss.backward();
        return new StepResult(loss.ToDouble());
    }
}

/// <summary>A GMMN-like loss with no critic: match the batch means (generator steps only).</summary>
public sealed class TestNoCritic() : TestLossBase(MakeInfo("test-no-critic", networks: [new NetworkInfo("G", NetworkRole.Generator, NetworkOutput.Sample)], hasCritic: false))
{
    public int CriticCalls { get; private set; }
    public int GeneratorCalls { get; private set; }

    public override StepResult DiscriminatorStep(StepContext c)
    {
        CriticCalls++;
        throw new InvalidOperationException("A loss with no critic must never get a critic step.");
    }

    public override StepResult GeneratorStep(StepContext c)
    {
        GeneratorCalls++;
        var loss = (c.Network("G").call(c.Noise).mean([0L]) - c.Real.mean([0L])).square().sum();
        loss.backward();
        return new StepResult(loss.ToDouble());
    }
}

/// <summary>Reports a NaN term at generator step 3 (the guard must stop there).</summary>
public sealed class TestNaN() : TestLossBase(MakeInfo("test-nan"))
{
    private int _generatorSteps;

    public override StepResult DiscriminatorStep(StepContext c) => WassersteinCriticStep(c);

    public override StepResult GeneratorStep(StepContext c)
    {
        _generatorSteps++;
        var loss = GeneratorThroughCritic(c).mean().neg();
        loss.backward();
        return new StepResult(loss.ToDouble(), [new("ratio", _generatorSteps == 3 ? double.NaN : 1.0)]);
    }
}

/// <summary>
/// A NaN generator loss at generator step 2, from a loss whose build warned about its generator loss (as a generated
/// loss with GAN0023 carries it in LossInfo.Warnings) and about its discriminator loss.
/// </summary>
public sealed class TestNaNWarned() : TestLossBase(MakeInfo("test-nan-warned") with
{
    Warnings =
    [
        new(false, "GAN0023", "Log(D(G(z)))", "if the critic outputs a logit, write 'LogSigmoid(D(G(z)))'"),
        new(true, "GAN0026", "Exp(D(x))", "bound it"),
    ],
})
{
    private int _generatorSteps;

    public override StepResult DiscriminatorStep(StepContext c) => WassersteinCriticStep(c);

    public override StepResult GeneratorStep(StepContext c)
    {
        _generatorSteps++;
        var loss = GeneratorThroughCritic(c).mean().neg();
        if (_generatorSteps == 2) loss = loss * double.NaN;
        loss.backward();
        return new StepResult(loss);
    }
}

/// <summary>
/// Critic gradients of 1e37 per element: every element is finite, but their float32 sum is not. The guard's fused
/// check sees a non-finite sum and must find no culprit (the run goes on; Adam's step is scale-free). From critic
/// step 4 on, one gradient element is NaN: the guard must stop there and name D's parameter.
/// </summary>
public sealed class TestHugeGradient() : TestLossBase(MakeInfo("test-huge-gradient"))
{
    private int _criticSteps;

    public override StepResult DiscriminatorStep(StepContext c)
    {
        _criticSteps++;
        var d = c.Network("D");
        var loss = CriticOnFake(c).mean() - d.call(c.Real).mean();
        var first = d.parameters().First();
        var scale = torch.full(first.shape, 1e37, dtype: first.dtype);
        if (_criticSteps >= 4) scale.view(-1).narrow(0, 0, 1).fill_(double.NaN);
        var total = loss + (first * scale).sum();
        total.backward();
        return new StepResult(loss.ToDouble());
    }

    public override StepResult GeneratorStep(StepContext c)
    {
        var loss = GeneratorThroughCritic(c).mean().neg();
        loss.backward();
        return new StepResult(loss.ToDouble());
    }
}

/// <summary>An EBGAN-like loss with an autoencoder critic and a feature critic, to check the model factory builds every kind.</summary>
public sealed class TestAutoencoder() : TestLossBase(MakeInfo("test-autoencoder", networks:
[
    new("G", NetworkRole.Generator, NetworkOutput.Sample),
    new("D", NetworkRole.Critic, NetworkOutput.Reconstruction),
    new("F", NetworkRole.Critic, NetworkOutput.Features),
    new("A", NetworkRole.Critic, NetworkOutput.Score),
]))
{
    public override StepResult DiscriminatorStep(StepContext c)
    {
        var d = c.Network("D");
        Tensor fake;
        using (torch.no_grad()) fake = c.Network("G").call(c.Noise);
        var realEnergy = nn.functional.mse_loss(d.call(c.Real), c.Real);
        var fakeEnergy = nn.functional.mse_loss(d.call(fake), fake);
        var features = c.Network("F").call(c.Real).mean() + c.Network("A").call(fake).mean();
        var loss = realEnergy + (1 - fakeEnergy).relu() + 0 * features;
        loss.backward();
        return new StepResult(loss.ToDouble());
    }

    public override StepResult GeneratorStep(StepContext c)
    {
        var fake = c.Network("G").call(c.Noise);
        using var frozen = c.Freeze("D");
        var loss = nn.functional.mse_loss(c.Network("D").call(fake), fake);
        loss.backward();
        return new StepResult(loss.ToDouble());
    }
}

/// <summary>A user's loss with a bug: its critic step throws NullReferenceException from generator step 3 on (after two steps' checkpoints).</summary>
public sealed class TestThrowing() : TestWgan(MakeInfo("test-throwing"))
{
    private int _criticSteps;
    private readonly string? _missing = null;

    public override StepResult DiscriminatorStep(StepContext c)
    {
        if (++_criticSteps >= 3) _ = _missing!.Length; // the user's NullReferenceException
        return base.DiscriminatorStep(c);
    }
}

/// <summary>A user's loss whose generator step returns null.</summary>
public sealed class TestNullStep() : TestWgan(MakeInfo("test-null-step"))
{
    public override StepResult GeneratorStep(StepContext c) => null!;
}

/// <summary>
/// The two-time-scale update rule (Heusel et al. 2017) with mixed kinds: D with its own Adam (4e-4, betas 0, 0.9), G with
/// its own RMSprop (1e-4, alpha 0.95), over a default neither uses.
/// </summary>
public sealed class TestTtur() : TestLossBase(MakeInfo("test-ttur") with
{
    NetworkOptimizers = new Dictionary<string, OptimizerDefaults>
    {
        ["D"] = new("adam", 4e-4, 0, 0.9),
        ["G"] = new("rmsprop", 1e-4, Alpha: 0.95),
    },
})
{
    public override StepResult DiscriminatorStep(StepContext c)
    {
        var loss = CriticOnFake(c).softplus().mean() + c.Network("D").call(c.Real).neg().softplus().mean();
        loss.backward();
        return new StepResult(loss.ToDouble());
    }

    public override StepResult GeneratorStep(StepContext c)
    {
        var loss = GeneratorThroughCritic(c).neg().softplus().mean();
        loss.backward();
        return new StepResult(loss.ToDouble());
    }
}

/// <summary>
/// A conditional loss written by hand (the DSL's own are written elsewhere): the non-saturating GAN with each sample's
/// term weighted by its class, (1 + label) / K, so the labels y and yz change every loss value; it reports their means
/// and records what each step saw. <c>usesLabels: false</c> gives the same loss declaring no labels (weights 1).
/// </summary>
public sealed class TestConditional(bool usesLabels) : TestLossBase(MakeInfo(usesLabels ? "test-conditional" : "test-unconditional") with { UsesLabels = usesLabels })
{
    public TestConditional() : this(usesLabels: true) { }

    /// <summary>What one step's context held, copied to the host.</summary>
    public sealed record Seen(float[] Real, long[]? RealLabels, float[] Noise, long[]? NoiseLabels, int ClassCount);

    public List<Seen> Steps { get; } = new();

    private static long[]? Host(Tensor? labels) => labels is null ? null : labels.cpu().data<long>().ToArray();

    private Tensor Weight(Tensor? labels, StepContext c, long rows) =>
        usesLabels ? labels!.to_type(ScalarType.Float32).add(1).div(c.ClassCount).unsqueeze(1) : torch.ones(rows, 1);

    private StepTerm[] LabelTerms(StepContext c) => usesLabels
        ? [new("y_mean", c.RealLabels!.to_type(ScalarType.Float64).mean()), new("yz_mean", c.NoiseLabels!.to_type(ScalarType.Float64).mean())]
        : [];

    public override StepResult DiscriminatorStep(StepContext c)
    {
        Steps.Add(new Seen(GanDsl.Data.DataTensorExtensions.HostFloats(c.Real), Host(c.RealLabels), GanDsl.Data.DataTensorExtensions.HostFloats(c.Noise), Host(c.NoiseLabels), c.ClassCount));
        var real = c.Network("D").call(c.Real);
        var fake = CriticOnFake(c);
        var loss = (real.neg().softplus() * Weight(c.RealLabels, c, real.shape[0])).mean() + (fake.softplus() * Weight(c.NoiseLabels, c, fake.shape[0])).mean();
        loss.backward();
        return new StepResult(loss, LabelTerms(c));
    }

    public override StepResult GeneratorStep(StepContext c)
    {
        Steps.Add(new Seen(GanDsl.Data.DataTensorExtensions.HostFloats(c.Real), Host(c.RealLabels), GanDsl.Data.DataTensorExtensions.HostFloats(c.Noise), Host(c.NoiseLabels), c.ClassCount));
        var fake = GeneratorThroughCritic(c);
        var loss = (fake.neg().softplus() * Weight(c.NoiseLabels, c, fake.shape[0])).mean();
        loss.backward();
        return new StepResult(loss, LabelTerms(c));
    }
}
