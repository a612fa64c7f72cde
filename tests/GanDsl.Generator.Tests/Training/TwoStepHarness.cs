using System.Reflection;
using System.Runtime.Loader;
using Microsoft.CodeAnalysis;
using TorchSharp;
using static TorchSharp.torch;

namespace GanDsl.Generator.Tests.Training;

/// <summary>
/// The one place the generator tests touch the training runtime (TorchSharp): compiles generated code in
/// memory, loads it in a collectible context and trains each loss for one discriminator step and one
/// generator step (plus <c>EndOfEpoch</c>) on tiny networks, with an optimizer step after each as the
/// trainer does. When the runtime changes, only this file changes.
/// </summary>
internal static class TwoStepHarness
{
    private const int Batch = 4;
    /// <summary>Data samples have 3 features and noise vectors 2, so a batch used on the wrong side fails.</summary>
    private const int SampleFeatures = 3;
    private const int NoiseFeatures = 2;
    private const int FeatureWidth = 4;

    /// <summary>
    /// Emits <paramref name="compilation"/> (user code plus generated code) and trains every type named in
    /// <paramref name="typeNames"/>. Returns, per type, null when both steps ran or the failure as text.
    /// Throws when the compilation does not emit (callers check compile errors first).
    /// </summary>
    public static Dictionary<string, string?> Train(Compilation compilation, IReadOnlyCollection<string> typeNames) =>
        InContext(compilation, assembly =>
        {
            var results = new Dictionary<string, string?>(StringComparer.Ordinal);
            foreach (var name in typeNames) results[name] = TrainOne(assembly, name);
            return results;
        });

    /// <summary>Emits <paramref name="compilation"/>, loads it in a collectible context and runs <paramref name="use"/> on the assembly.</summary>
    public static T InContext<T>(Compilation compilation, Func<Assembly, T> use)
    {
        using var stream = new MemoryStream();
        var emitted = compilation.Emit(stream);
        if (!emitted.Success)
            throw new InvalidOperationException("The compilation does not emit:\n" + string.Join("\n", emitted.Diagnostics.Where(d => d.Severity == DiagnosticSeverity.Error).Take(10)));
        stream.Position = 0;
        var context = new CollectibleContext();
        try
        {
            return use(context.LoadFromStream(stream));
        }
        finally
        {
            context.Unload();
        }
    }

    /// <summary>A small network for a declared one: noise in for a generator-role network, data in for a critic.</summary>
    private static nn.Module<Tensor, Tensor> Network(NetworkInfo info)
    {
        long inputs = info.Role == NetworkRole.Generator ? NoiseFeatures : SampleFeatures;
        long outputs = info.Output switch
        {
            NetworkOutput.Score => 1,
            NetworkOutput.Features => FeatureWidth,
            _ => SampleFeatures,   // samples and reconstructions live in data space
        };
        return nn.Sequential(nn.Linear(inputs, 8), nn.Tanh(), nn.Linear(8, outputs));
    }

    private static string? TrainOne(Assembly assembly, string typeName)
    {
        try
        {
            var type = assembly.GetType(typeName) ?? throw new InvalidOperationException("no type " + typeName);
            var loss = (IGanLoss)Activator.CreateInstance(type)!;
            using var scope = torch.NewDisposeScope();
            torch.manual_seed(7);
            var networks = loss.Info.Networks.ToDictionary(n => n.Name, Network, StringComparer.Ordinal);
            try
            {
                using var data = new torch.Generator(7);
                using var draws = new torch.Generator(11);
                var real = torch.randn([Batch, SampleFeatures], generator: data);
                var noise = torch.randn([Batch, NoiseFeatures], generator: data);
                var step = new StepContext(real, noise, networks, new GeneratorStepRandom(draws),
                    () => torch.randn([Batch, NoiseFeatures], generator: data));
                var critics = networks.Where(n => loss.Info.Networks.Single(i => i.Name == n.Key).Role == NetworkRole.Critic).Select(n => n.Value).ToList();
                var generators = networks.Values.Except(critics).ToList();
                if (loss.Info.HasCritic)
                {
                    Check(loss.DiscriminatorStep(step), "discriminator");
                    Descend(critics);
                }
                Check(loss.GeneratorStep(step), "generator");
                Descend(generators);
                loss.EndOfEpoch(step);
                return null;
            }
            finally
            {
                foreach (var network in networks.Values) network.Dispose();
            }
        }
        catch (Exception ex)
        {
            var inner = ex is TargetInvocationException { InnerException: { } e } ? e : ex;
            return inner.GetType().Name + ": " + inner.Message;
        }
    }

    /// <summary>The loss is a scalar and every reported term can be read (what the trainer does when it logs).</summary>
    private static void Check(StepResult result, string step)
    {
        using (result)
        {
            _ = result.Loss;
            foreach (var term in result.Terms) _ = term.Value;
        }
    }

    /// <summary>One plain gradient-descent step and zeroed gradients: the next step starts from trained parameters, as in training.</summary>
    private static void Descend(IEnumerable<nn.Module<Tensor, Tensor>> networks)
    {
        using var _ = torch.no_grad();
        foreach (var network in networks)
        {
            foreach (var p in network.parameters())
                if (p.grad is { } g) p.sub_(g * 0.01);
            network.zero_grad();
        }
    }

    /// <summary>Resolves GanDsl.Runtime, GanDsl.Dsl and TorchSharp from the test's own context, so the loss implements the same IGanLoss.</summary>
    private sealed class CollectibleContext() : AssemblyLoadContext("GanDsl.TwoStepHarness", isCollectible: true)
    {
        protected override Assembly? Load(AssemblyName assemblyName) => null;
    }
}
