using System.Reflection;
using System.Runtime.Loader;
using GanDsl.Models;
using GanDsl.Nn;
using Microsoft.CodeAnalysis;

namespace GanDsl.Generator.Tests.Training;

/// <summary>
/// The one place the generator tests touch the training runtime: compiles generated code in memory,
/// loads it in a collectible context and trains each loss for one discriminator step and one generator
/// step (plus <c>EndOfEpoch</c>) on tiny networks. When the runtime changes, only this file changes.
/// </summary>
internal static class TwoStepHarness
{
    private const int Batch = 4;
    /// <summary>Data samples have 3 features and noise vectors 2, so a batch used on the wrong side fails.</summary>
    private static readonly long[] s_sampleShape = [3];

    /// <summary>
    /// Emits <paramref name="compilation"/> (user code plus generated code) and trains every type named in
    /// <paramref name="typeNames"/>. Returns, per type, null when both steps ran or the failure as text.
    /// Throws when the compilation does not emit (callers check compile errors first).
    /// </summary>
    public static Dictionary<string, string?> Train(Compilation compilation, IReadOnlyCollection<string> typeNames)
    {
        using var stream = new MemoryStream();
        var emitted = compilation.Emit(stream);
        if (!emitted.Success)
            throw new InvalidOperationException("The compilation does not emit:\n" + string.Join("\n", emitted.Diagnostics.Where(d => d.Severity == DiagnosticSeverity.Error).Take(10)));
        stream.Position = 0;
        var context = new CollectibleContext();
        try
        {
            var assembly = context.LoadFromStream(stream);
            var results = new Dictionary<string, string?>(StringComparer.Ordinal);
            foreach (var name in typeNames) results[name] = TrainOne(assembly, name);
            return results;
        }
        finally
        {
            context.Unload();
        }
    }

    private static string? TrainOne(Assembly assembly, string typeName)
    {
        try
        {
            var type = assembly.GetType(typeName) ?? throw new InvalidOperationException("no type " + typeName);
            var loss = (IGanLoss)Activator.CreateInstance(type)!;
            using var scope = Torch.Torch.NewScope();
            var networks = ModelFactory.BuildAll(new MlpFamily(), loss.Info.Networks, s_sampleShape);
            try
            {
                using var generator = new Torch.Generator(7);
                var real = Torch.Torch.Randn([Batch, s_sampleShape[0]]);
                var noise = Torch.Torch.Randn([Batch, MlpFamily.NoiseDimension]);
                var step = new StepContext(real, noise, networks, new GeneratorStepRandom(generator),
                    () => Torch.Torch.Randn([Batch, MlpFamily.NoiseDimension]));
                if (loss.Info.HasCritic) loss.DiscriminatorStep(step);
                loss.GeneratorStep(step);
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

    /// <summary>Resolves GanDsl.Runtime and GanDsl.Dsl from the test's own context, so the loss implements the same IGanLoss.</summary>
    private sealed class CollectibleContext() : AssemblyLoadContext("GanDsl.TwoStepHarness", isCollectible: true)
    {
        protected override Assembly? Load(AssemblyName assemblyName) => null;
    }
}
