using TorchSharp;
using static TorchSharp.torch;

namespace GanDsl.Models;

/// <summary>Finds a model family by name and builds every network a loss declares.</summary>
public static class ModelFactory
{
    private static readonly IModelFamily[] Families = [new MlpFamily(), new MlpFamily(spectralNormCritic: true), new Dcgan28Family()];

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
    /// <param name="family">Builds the networks.</param>
    /// <param name="networks">The loss's networks.</param>
    /// <param name="sampleShape">One sample's shape.</param>
    /// <param name="classCount">The data's number of classes K (<see cref="Data.ILabelledDataset.ClassCount"/>); 0 for unlabelled data.</param>
    /// <exception cref="ArgumentException">A network needs classes but <paramref name="classCount"/> is 0 (the data has no labels).</exception>
    public static Dictionary<string, nn.Module> BuildAll(IModelFamily family, IReadOnlyList<NetworkInfo> networks, IReadOnlyList<long> sampleShape,
        int classCount = 0)
    {
        ArgumentNullException.ThrowIfNull(family);
        ArgumentNullException.ThrowIfNull(networks);
        ArgumentOutOfRangeException.ThrowIfNegative(classCount);
        if (family.CheckSampleShape(sampleShape) is { } problem) throw new ArgumentException(problem, nameof(sampleShape));
        if (classCount == 0 && networks.Select(n => (n.Name, Need: NeedsClasses(n))).FirstOrDefault(n => n.Need is not null) is { Need: { } need } unlabelled)
            throw new ArgumentException(
                $"Network '{unlabelled.Name}' {need}, but the data has no class labels: train on labelled data (ring, grid, fashion-mnist, " +
                "UserData.FromTensor(x, y)) or with a loss that uses no labels.", nameof(classCount));
        var built = new Dictionary<string, nn.Module>(StringComparer.Ordinal);
        try
        {
            foreach (var network in networks) built.Add(network.Name, family.Build(network, sampleShape, classCount));
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

    /// <summary>
    /// Why <paramref name="network"/> needs the data's classes ("takes class labels (the loss calls D(v, y))", "has 1 class
    /// head", "outputs class logits"), or null when it does not: an unconditional network.
    /// </summary>
    public static string? NeedsClasses(NetworkInfo network)
    {
        ArgumentNullException.ThrowIfNull(network);
        var needs = new List<string>(3);
        if (network.TakesLabels) needs.Add($"takes class labels (the loss calls {network.Name}(v, y))");
        if (network.ClassHeads > 0) needs.Add($"has {network.ClassHeads} class head{(network.ClassHeads == 1 ? "" : "s")} ({network.ClassHeads}·K " +
            "class-logit columns after its output)");
        if (network.Output == NetworkOutput.ClassLogits) needs.Add("outputs class logits ([B, K])");
        return needs.Count == 0 ? null : string.Join(" and ", needs);
    }

    /// <summary>A conditional network asked of the unconditional <see cref="IModelFamily.Build(NetworkInfo, IReadOnlyList{long})"/>.</summary>
    internal static NotSupportedException NeedsClassCount(IModelFamily family, NetworkInfo network) => new(
        $"Network '{network.Name}' {NeedsClasses(network)}: model '{family.Name}' builds it with Build(network, sampleShape, classCount), " +
        "given the data's number of classes.");

    internal static NotSupportedException Unsupported(IModelFamily family, NetworkInfo network) => new(
        NeedsClasses(network) is { } need
            ? $"Model '{family.Name}' has no conditional architecture for network '{network.Name}' with role {network.Role} and output {network.Output} " +
                $"that {need}. " +
              "See the family's documentation for the conditional networks it builds, or give your own with ModelFamily.Custom."
            : $"Model '{family.Name}' has no architecture for network '{network.Name}' with role {network.Role} and output {network.Output}. " +
              "Generator-role networks must produce samples; critic-role networks may output a score, features or a reconstruction.");
}
