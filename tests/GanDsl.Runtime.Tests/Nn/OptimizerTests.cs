using System.Text.Json;
using TorchSharp;
using TorchSharp.Modules;
using static GanDsl.Runtime.Tests.Nn.NnReference;
using static TorchSharp.torch;

namespace GanDsl.Runtime.Tests.Nn;

/// <summary>
/// TorchSharp's torch.optim.Adam and RMSProp (what the trainer builds) reproduce PyTorch 1.13's torch.optim:
/// three steps on fixed float64 parameters and gradients equal the reference to 1e-12 relative, for the default
/// settings and with weight decay, momentum and centring, state included; and the optimizer state the trainer
/// checkpoints (save_state_dict / load_state_dict) continues exactly like the original.
/// </summary>
public sealed class OptimizerTests
{
    private const double Tolerance = 1e-12;

    public OptimizerTests() => TorchTestSupport.UseTwoThreads();

    public static IEnumerable<object[]> Cases() => CaseNames("optim");

    private static OptimizerHelper Create(JsonElement config, IEnumerable<Parameter> parameters)
    {
        double Get(string key, double fallback) => config.TryGetProperty(key, out var v) ? v.GetDouble() : fallback;
        return config.GetProperty("kind").GetString() switch
        {
            // Only the values the case sets are passed, so TorchSharp's defaults are checked against torch.optim's.
            "adam" => config.EnumerateObject().Count() == 1
                ? torch.optim.Adam(parameters)
                : torch.optim.Adam(parameters, lr: Get("lr", 1e-3), beta1: Get("beta1", 0.9), beta2: Get("beta2", 0.999),
                    eps: Get("eps", 1e-8), weight_decay: Get("weight_decay", 0)),
            "rmsprop" => config.EnumerateObject().Count() == 1
                ? torch.optim.RMSProp(parameters)
                : torch.optim.RMSProp(parameters, lr: Get("lr", 1e-2), alpha: Get("alpha", 0.99), eps: Get("eps", 1e-8),
                    weight_decay: Get("weight_decay", 0), momentum: Get("momentum", 0),
                    centered: config.TryGetProperty("centered", out var c) && c.GetBoolean()),
            var other => throw new ArgumentException(other),
        };
    }

    /// <summary>Sets p.grad = g exactly: the gradient of sum(p ⊙ g) is 1·g.</summary>
    private static void SetGradients(IReadOnlyList<Parameter> parameters, IReadOnlyList<Tensor> grads)
    {
        for (var i = 0; i < parameters.Count; i++)
        {
            parameters[i].grad = null;
            using var loss = (parameters[i] * grads[i]).sum();
            loss.backward();
        }
    }

    private static Dictionary<string, Tensor> StateTensors(OptimizerState state) => state switch
    {
        Adam.State a => new() { ["exp_avg"] = a.exp_avg, ["exp_avg_sq"] = a.exp_avg_sq },
        RMSProp.State r => new() { ["square_avg"] = r.square_avg, ["momentum_buffer"] = r.momentum_buffer, ["grad_avg"] = r.grad_avg },
        _ => throw new NotSupportedException(state.GetType().Name),
    };

    private static long StateStep(OptimizerState state) => state switch
    {
        Adam.State a => a.step,
        RMSProp.State r => r.step,
        _ => throw new NotSupportedException(state.GetType().Name),
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void Three_steps_equal_torch_optim(string name)
    {
        var c = Section("optim").GetProperty(name);
        using var scope = torch.NewDisposeScope();
        var parameters = c.GetProperty("initial").EnumerateArray().Select(e => new Parameter(TensorFrom(e))).ToList();
        Assert.All(parameters, p => Assert.Equal(ScalarType.Float64, p.dtype));
        using var optimizer = Create(c.GetProperty("config"), parameters);
        var step = 0;
        foreach (var expected in c.GetProperty("steps").EnumerateArray())
        {
            step++;
            SetGradients(parameters, expected.GetProperty("grads").EnumerateArray().Select(TensorFrom).ToList());
            optimizer.step();
            var expectedParams = expected.GetProperty("params").EnumerateArray().ToList();
            for (var i = 0; i < parameters.Count; i++)
                AssertMatches(expectedParams[i], parameters[i], Tolerance, $"{name} step {step} parameter {i}");
        }

        var states = optimizer.state_dict().State;
        var expectedState = c.GetProperty("state").EnumerateArray().ToList();
        Assert.Equal(parameters.Count, states.Count);
        for (var i = 0; i < parameters.Count; i++)
        {
            var ours = StateTensors(states[i]);
            foreach (var entry in expectedState[i].EnumerateObject())
            {
                if (entry.Name == "step")
                {
                    Assert.Equal((long)entry.Value.GetDouble(), StateStep(states[i]));
                    continue;
                }
                Assert.True(ours.TryGetValue(entry.Name, out var tensor) && tensor is not null, $"{name}: no state '{i}.{entry.Name}'");
                AssertMatches(entry.Value, tensor!, Tolerance, $"{name} state {i}.{entry.Name}");
            }
        }
    }

    public static IEnumerable<object[]> Kinds() => [["adam"], ["rmsprop"]];

    [Theory]
    [MemberData(nameof(Kinds))]
    public void State_saved_and_loaded_as_checkpoints_do_continues_exactly(string kind)
    {
        using var scope = torch.NewDisposeScope();
        var gen = new Generator(7);
        var grads = Enumerable.Range(0, 4).Select(_ => new[] { torch.randn([3, 2], ScalarType.Float64, generator: gen), torch.randn([2], ScalarType.Float64, generator: gen) }).ToList();
        var original = new[] { new Parameter(torch.randn([3, 2], ScalarType.Float64, generator: gen)), new Parameter(torch.randn([2], ScalarType.Float64, generator: gen)) };
        OptimizerHelper Make(IEnumerable<Parameter> ps) => kind == "adam"
            ? torch.optim.Adam(ps, lr: 0.01, weight_decay: 0.1)
            : torch.optim.RMSProp(ps, lr: 0.01, momentum: 0.9, centered: true, weight_decay: 0.1);
        using var a = Make(original);
        for (var s = 0; s < 2; s++)
        {
            SetGradients(original, grads[s]);
            a.step();
        }

        // As the trainer checkpoints it (Trainer.Checkpoints.cs): save_state_dict to bytes, load_state_dict from them.
        byte[] bytes;
        using (var stream = new MemoryStream())
        {
            using (var writer = new BinaryWriter(stream, System.Text.Encoding.UTF8, leaveOpen: true)) a.save_state_dict(writer);
            bytes = stream.ToArray();
        }
        var copies = original.Select(p => new Parameter(p.detach().clone())).ToArray();
        using var b = Make(copies);
        using (var reader = new BinaryReader(new MemoryStream(bytes))) b.load_state_dict(reader);
        for (var s = 2; s < 4; s++)
        {
            SetGradients(original, grads[s]);
            a.step();
            SetGradients(copies, grads[s]);
            b.step();
        }
        for (var i = 0; i < original.Length; i++)
            Assert.Equal(Values(original[i]), Values(copies[i]));
        Assert.Equal(4, StateStep(b.state_dict().State[0]));
    }

    [Fact]
    public void Parameters_without_gradients_are_skipped()
    {
        using var scope = torch.NewDisposeScope();
        var used = new Parameter(torch.ones([2], ScalarType.Float64));
        var unused = new Parameter(torch.ones([3], ScalarType.Float64));
        using var adam = torch.optim.Adam([used, unused], lr: 0.1);
        (used * 2.0).sum().backward();
        adam.step();
        Assert.Equal(new[] { 1.0, 1.0, 1.0 }, Values(unused));
        Assert.All(Values(used), v => Assert.Equal(0.9, v, 8));  // the first Adam step moves by lr·g/(|g| + eps)
        var states = adam.state_dict().State;
        Assert.Equal(1, StateStep(states[0]));
        Assert.Equal(0, StateStep(states[1]));
    }
}
