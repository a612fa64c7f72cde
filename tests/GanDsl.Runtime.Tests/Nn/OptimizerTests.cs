using System.Text.Json;
using GanDsl.Nn;
using GanDsl.Optim;
using GanDsl.Torch;
using static GanDsl.Runtime.Tests.Nn.NnReference;
using T = GanDsl.Torch.Torch;

namespace GanDsl.Runtime.Tests.Nn;

/// <summary>
/// Three steps of Adam and RMSprop on fixed float64 parameters and gradients equal torch.optim's
/// (1e-12 relative), for the default settings and with weight decay, momentum and centring; the
/// state round-trips through GetState/SetState and through a tensor file.
/// </summary>
public sealed class OptimizerTests
{
    private const double Tolerance = 1e-12;

    public OptimizerTests() => T.SetNumThreads(2);

    public static IEnumerable<object[]> Cases() => CaseNames("optim");

    private static Optimizer Create(JsonElement config, IEnumerable<Tensor> parameters)
    {
        double Get(string key, double fallback) => config.TryGetProperty(key, out var v) ? v.GetDouble() : fallback;
        return config.GetProperty("kind").GetString() switch
        {
            // Only the values the case sets are passed, so the C# defaults are checked against torch.optim's.
            "adam" => config.TryGetProperty("lr", out _) || config.TryGetProperty("weight_decay", out _)
                ? new Adam(parameters, lr: Get("lr", 1e-3), beta1: Get("beta1", 0.9), beta2: Get("beta2", 0.999),
                    eps: Get("eps", 1e-8), weightDecay: Get("weight_decay", 0))
                : new Adam(parameters),
            "rmsprop" => config.EnumerateObject().Count() == 1
                ? new RMSprop(parameters)
                : new RMSprop(parameters, lr: Get("lr", 1e-2), alpha: Get("alpha", 0.99), eps: Get("eps", 1e-8),
                    weightDecay: Get("weight_decay", 0), momentum: Get("momentum", 0),
                    centered: config.TryGetProperty("centered", out var c) && c.GetBoolean()),
            var other => throw new ArgumentException(other),
        };
    }

    /// <summary>Sets p.grad = g exactly: the gradient of sum(p ⊙ g) is 1·g.</summary>
    private static void SetGradients(IReadOnlyList<Tensor> parameters, IReadOnlyList<Tensor> grads)
    {
        for (var i = 0; i < parameters.Count; i++)
        {
            parameters[i].ZeroGrad();
            using var loss = (parameters[i] * grads[i]).Sum();
            loss.Backward();
        }
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Three_steps_equal_torch_optim(string name)
    {
        var c = Section("optim").GetProperty(name);
        using var scope = T.NewScope();
        var parameters = c.GetProperty("initial").EnumerateArray().Select(e => TensorFrom(e).RequiresGrad_(true)).ToList();
        using var optimizer = Create(c.GetProperty("config"), parameters);
        var step = 0;
        foreach (var expected in c.GetProperty("steps").EnumerateArray())
        {
            step++;
            SetGradients(parameters, expected.GetProperty("grads").EnumerateArray().Select(TensorFrom).ToList());
            optimizer.Step();
            var expectedParams = expected.GetProperty("params").EnumerateArray().ToList();
            for (var i = 0; i < parameters.Count; i++)
                AssertMatches(expectedParams[i], parameters[i], Tolerance, $"{name} step {step} parameter {i}");
        }

        using var state = optimizer.GetState();
        var stateByName = state.Tensors.ToDictionary(t => t.Name, t => t.Tensor);
        var expectedState = c.GetProperty("state").EnumerateArray().ToList();
        for (var i = 0; i < parameters.Count; i++)
        {
            foreach (var entry in expectedState[i].EnumerateObject())
            {
                if (entry.Name == "step")
                {
                    Assert.Equal((long)entry.Value.GetDouble(), state.Steps[i]);
                    continue;
                }
                Assert.True(stateByName.ContainsKey($"{i}.{entry.Name}"), $"{name}: no state '{i}.{entry.Name}'");
                AssertMatches(entry.Value, stateByName[$"{i}.{entry.Name}"], Tolerance, $"{name} state {i}.{entry.Name}");
            }
            Assert.Equal(expectedState[i].EnumerateObject().Count(e => e.Name != "step"), stateByName.Keys.Count(k => k.StartsWith($"{i}.")));
        }
    }

    public static IEnumerable<object[]> Kinds() =>
    [
        ["adam"], ["rmsprop"],
    ];

    [Theory]
    [MemberData(nameof(Kinds))]
    public void Restored_state_continues_exactly_like_the_original(string kind)
    {
        using var scope = T.NewScope();
        var gen = new Generator(7);
        var grads = Enumerable.Range(0, 4).Select(_ => new[] { T.Randn([3, 2], DType.Float64, gen: gen), T.Randn([2], DType.Float64, gen: gen) }).ToList();
        var original = new[] { T.Randn([3, 2], DType.Float64, gen: gen).RequiresGrad_(true), T.Randn([2], DType.Float64, gen: gen).RequiresGrad_(true) };
        Optimizer Make(IEnumerable<Tensor> ps) => kind == "adam"
            ? new Adam(ps, lr: 0.01, weightDecay: 0.1)
            : new RMSprop(ps, lr: 0.01, momentum: 0.9, centered: true, weightDecay: 0.1);
        using var a = Make(original);
        for (var s = 0; s < 2; s++)
        {
            SetGradients(original, grads[s]);
            a.Step();
        }

        // Through a tensor file, as a checkpoint stores it.
        var path = Path.Combine(Path.GetTempPath(), $"gandsl-optim-{Guid.NewGuid():N}.bin");
        try
        {
            using (var saved = a.GetState())
                TensorFile.Write(path, saved.ToRecords("opt."));
            var copies = original.Select(p => p.Detach().Clone().RequiresGrad_(true)).ToArray();
            using var b = Make(copies);
            using (var loaded = OptimizerState.FromRecords(TensorFile.Read(path), "opt."))
                b.SetState(loaded);
            for (var s = 2; s < 4; s++)
            {
                SetGradients(original, grads[s]);
                a.Step();
                SetGradients(copies, grads[s]);
                b.Step();
            }
            for (var i = 0; i < original.Length; i++)
                Assert.Equal(original[i].ToArray<double>(), copies[i].ToArray<double>());
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void Parameters_without_gradients_are_skipped_and_keep_no_state()
    {
        using var scope = T.NewScope();
        var used = T.Ones([2], DType.Float64).RequiresGrad_(true);
        var unused = T.Ones([3], DType.Float64).RequiresGrad_(true);
        using var adam = new Adam([used, unused], lr: 0.1);
        (used * 2.0).Sum().Backward();
        adam.Step();
        Assert.Equal(new[] { 1.0, 1.0, 1.0 }, unused.ToArray<double>());
        Assert.All(used.ToArray<double>(), v => Assert.Equal(0.9, v, 8));  // the first Adam step moves by lr·g/(|g| + eps)
        using var state = adam.GetState();
        Assert.Equal(new long[] { 1, 0 }, state.Steps);
        Assert.DoesNotContain(state.Tensors, t => t.Name.StartsWith("1.", StringComparison.Ordinal));
    }

    [Fact]
    public void Mismatched_state_is_rejected_and_changes_nothing()
    {
        using var scope = T.NewScope();
        var p = T.Ones([2], DType.Float64).RequiresGrad_(true);
        using var adam = new Adam([p]);
        (p * 3.0).Sum().Backward();
        adam.Step();
        using var before = adam.GetState();

        using var wrongShape = new OptimizerState([1], [("0.exp_avg", T.Zeros([5], DType.Float64)), ("0.exp_avg_sq", T.Zeros([5], DType.Float64))]);
        Assert.Contains("shape", Assert.Throws<ArgumentException>(() => adam.SetState(wrongShape)).Message);
        using var wrongKind = new OptimizerState([1], [("0.square_avg", T.Zeros([2], DType.Float64))]);
        Assert.Contains("square_avg", Assert.Throws<ArgumentException>(() => adam.SetState(wrongKind)).Message);
        using var wrongCount = new OptimizerState([1, 1], []);
        Assert.Contains("2 parameters", Assert.Throws<ArgumentException>(() => adam.SetState(wrongCount)).Message);

        using var after = adam.GetState();
        Assert.Equal(before.Steps, after.Steps);
        foreach (var ((n1, t1), (n2, t2)) in before.Tensors.Zip(after.Tensors))
        {
            Assert.Equal(n1, n2);
            Assert.Equal(t1.ToArray<double>(), t2.ToArray<double>());
        }
    }

    [Fact]
    public void Learning_rate_can_change_between_steps_and_rejects_nonsense()
    {
        using var scope = T.NewScope();
        var p = T.Zeros([1], DType.Float64).RequiresGrad_(true);
        using var rms = new RMSprop([p]);
        Assert.Equal(1e-2, rms.LearningRate);
        rms.LearningRate = 0.5;
        Assert.Equal(0.5, rms.LearningRate);
        Assert.Throws<ArgumentOutOfRangeException>(() => rms.LearningRate = -1);
        Assert.Throws<ArgumentOutOfRangeException>(() => rms.LearningRate = double.NaN);
    }
}
