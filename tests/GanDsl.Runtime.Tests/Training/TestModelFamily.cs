using GanDsl.Models;
using TorchSharp;
using static TorchSharp.torch;

namespace GanDsl.Runtime.Tests.Training;

// GanDsl.Cli.Tests compiles this file too (a linked file): `gan train --assembly` finds these families there.

/// <summary>
/// A model family of a user's assembly, as <c>gan train --assembly PATH --model test-tiny</c> finds it: a public class
/// implementing <see cref="IModelFamily"/> with a public parameterless constructor, named by <see cref="Name"/>.
/// </summary>
public sealed class TinyTestFamily : IModelFamily
{
    /// <summary>Networks built by any instance so far (tests run one at a time), so a test can tell this family was used.</summary>
    public static int Builds;

    public string Name => "test-tiny";

    public string Description => "two small linear layers (test)";

    public int DefaultBatchSize => 32;

    public IReadOnlyList<long> NoiseShape => [3];

    public string? CheckSampleShape(IReadOnlyList<long> sampleShape) => sampleShape.Count == 1 ? null : "test-tiny models flat samples only.";

    public nn.Module<Tensor, Tensor> Build(NetworkInfo network, IReadOnlyList<long> sampleShape)
    {
        Interlocked.Increment(ref Builds);
        var output = network.Role == NetworkRole.Generator ? sampleShape[0] : 1;
        var input = network.Role == NetworkRole.Generator ? NoiseShape[0] : sampleShape[0];
        return nn.Sequential(nn.Linear(input, 8), nn.Tanh(), nn.Linear(8, output));
    }
}

/// <summary>A type that looks like a family but cannot be one: no public parameterless constructor, so it is not listed.</summary>
public sealed class NotAFamilyWithoutConstructor(int size) : IModelFamily
{
    public string Name => $"not-a-family-{size}";
    public string Description => "";
    public int DefaultBatchSize => 1;
    public IReadOnlyList<long> NoiseShape => [1];
    public string? CheckSampleShape(IReadOnlyList<long> sampleShape) => null;
    public nn.Module<Tensor, Tensor> Build(NetworkInfo network, IReadOnlyList<long> sampleShape) => throw new NotSupportedException();
}

/// <summary>What <see cref="UserFaultFamily"/> gets wrong (set by a test before it runs; tests run one at a time).</summary>
public enum UserFault
{
    None,
    /// <summary>Build throws IndexOutOfRangeException (a bug in the user's code).</summary>
    BuildThrows,
    /// <summary>Build returns null for D.</summary>
    BuildReturnsNull,
    /// <summary>D is built for 3 features, whatever the data.</summary>
    WideCritic,
    /// <summary>G produces 3 features, whatever the data.</summary>
    WideGenerator,
    /// <summary>D's weights are float64.</summary>
    Float64Critic,
    /// <summary>D returns [B+1, 1].</summary>
    ExtraRowCritic,
    /// <summary>D returns int64 scores.</summary>
    IntegerCritic,
    /// <summary>D returns a tensor detached from its parameters.</summary>
    DetachedCritic,
}

/// <summary>
/// A user's model family with a chosen fault (<see cref="Fault"/>): named <c>test-faulty</c>, listed after
/// <c>test-tiny</c> (type names sort after TinyTestFamily).
/// </summary>
public sealed class UserFaultFamily : IModelFamily
{
    public static UserFault Fault;

    public string Name => "test-faulty";
    public string Description => "a family with a chosen fault (test)";
    public int DefaultBatchSize => 16;
    public IReadOnlyList<long> NoiseShape => [3];
    public string? CheckSampleShape(IReadOnlyList<long> sampleShape) => null;

    public nn.Module<Tensor, Tensor> Build(NetworkInfo network, IReadOnlyList<long> sampleShape)
    {
        var features = sampleShape[0];
        if (Fault == UserFault.BuildThrows) return Array.Empty<nn.Module<Tensor, Tensor>>()[(int)features]; // IndexOutOfRangeException
        if (network.Role == NetworkRole.Generator)
            return nn.Sequential(nn.Linear(3, 8), nn.Tanh(), nn.Linear(8, Fault == UserFault.WideGenerator ? 3 : features));
        return Fault switch
        {
            UserFault.BuildReturnsNull => null!,
            UserFault.WideCritic => nn.Sequential(nn.Linear(3, 8), nn.Tanh(), nn.Linear(8, 1)),
            UserFault.Float64Critic => nn.Sequential(nn.Linear(features, 8), nn.Linear(8, 1)).to(ScalarType.Float64),
            UserFault.ExtraRowCritic => new Critic(features, x => torch.cat([x, x.narrow(0, 0, 1)], 0)),
            UserFault.IntegerCritic => new Critic(features, x => x.to_type(ScalarType.Int64)),
            UserFault.DetachedCritic => new Critic(features, x => x.detach()),
            _ => nn.Sequential(nn.Linear(features, 8), nn.Tanh(), nn.Linear(8, 1)),
        };
    }

    /// <summary>A linear critic whose output goes through <paramref name="after"/>.</summary>
    private sealed class Critic : nn.Module<Tensor, Tensor>
    {
        private readonly TorchSharp.Modules.Linear _linear;
        private readonly Func<Tensor, Tensor> _after;

        public Critic(long features, Func<Tensor, Tensor> after) : base("FaultyCritic")
        {
            _linear = nn.Linear(features, 1);
            _after = after;
            RegisterComponents();
        }

        public override Tensor forward(Tensor x) => _after(_linear.call(x));
    }
}
