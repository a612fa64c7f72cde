using TorchSharp;
using static TorchSharp.torch;

namespace GanDsl.Models;

/// <summary>Finds a model family by name and builds every network a loss declares.</summary>
public static class ModelFactory
{
    private static readonly IModelFamily[] Families = [new MlpFamily(), new Dcgan28Family()];

    /// <summary>The built-in family names, in the order help texts list them.</summary>
    public static IReadOnlyList<string> Names { get; } = Families.Select(f => f.Name).ToArray();

    /// <summary>Every built-in family.</summary>
    public static IReadOnlyList<IModelFamily> All => Families;

    /// <summary>The family named <paramref name="name"/> (case-insensitive).</summary>
    /// <exception cref="ArgumentException">No family has that name; the message lists the known ones.</exception>
    public static IModelFamily Get(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        return Families.FirstOrDefault(f => string.Equals(f.Name, name.Trim(), StringComparison.OrdinalIgnoreCase))
            ?? throw new ArgumentException($"Unknown model '{name}'. Use one of: {string.Join(", ", Names)}.", nameof(name));
    }

    /// <summary>
    /// Builds one network per entry of <paramref name="networks"/>, in declaration order (so the
    /// initial weights drawn from the global generator depend only on the seed and the loss).
    /// On failure every network built so far is disposed.
    /// </summary>
    /// <exception cref="ArgumentException">The family cannot model samples of that shape.</exception>
    /// <exception cref="NotSupportedException">A network's role and output kind have no architecture in the family.</exception>
    public static Dictionary<string, nn.Module> BuildAll(IModelFamily family, IReadOnlyList<NetworkInfo> networks, IReadOnlyList<long> sampleShape)
    {
        ArgumentNullException.ThrowIfNull(family);
        ArgumentNullException.ThrowIfNull(networks);
        if (family.CheckSampleShape(sampleShape) is { } problem) throw new ArgumentException(problem, nameof(sampleShape));
        var built = new Dictionary<string, nn.Module>(StringComparer.Ordinal);
        try
        {
            foreach (var network in networks) built.Add(network.Name, family.Build(network, sampleShape));
            return built;
        }
        catch
        {
            foreach (var m in built.Values) m.Dispose();
            throw;
        }
    }

    /// <summary>
    /// The network whose outputs are the model's samples: the first generator-role network with
    /// <see cref="NetworkOutput.Sample"/> output (normally <c>G</c>).
    /// </summary>
    /// <exception cref="ArgumentException">The loss declares no such network.</exception>
    public static NetworkInfo SampleNetwork(IReadOnlyList<NetworkInfo> networks) =>
        networks.FirstOrDefault(n => n.Role == NetworkRole.Generator && n.Output == NetworkOutput.Sample)
        ?? throw new ArgumentException(
            $"The loss declares no generator network with sample output (it has: {string.Join(", ", networks.Select(n => $"{n.Name} {n.Role}/{n.Output}"))}).",
            nameof(networks));

    internal static NotSupportedException Unsupported(IModelFamily family, NetworkInfo network) => new(
        $"Model '{family.Name}' has no architecture for network '{network.Name}' with role {network.Role} and output {network.Output}. " +
        "Generator-role networks must produce samples; critic-role networks may output a score, features or a reconstruction.");
}
