using static TorchSharp.torch;

namespace GanDsl.Training;

// Each network's optimizer settings: the loss's (its default, or the network's own: the two-time-scale update rule,
// Heusel et al. 2017), under the options given explicitly (by network name, then by role, then for every network).
public sealed partial class Trainer
{
    /// <summary>
    /// The optimizer of each trained network, by network name (a network without parameters has none): its param
    /// groups hold the learning rate and betas in force, after the loss's settings, the options and a resume.
    /// </summary>
    public IReadOnlyDictionary<string, optim.Optimizer> Optimizers =>
        _criticOptimizers.Concat(_generatorOptimizers).ToDictionary(o => o.Network, o => o.Optimizer, StringComparer.Ordinal);

    /// <summary>Checks the optimizers the loss asks for and the options that override them, before anything is built.</summary>
    private static void CheckOptimizerOptions(TrainOptions options, LossInfo info)
    {
        foreach (var network in info.Networks)
            if (info.OptimizerOf(network.Name).Kind.Trim().ToLowerInvariant() is not ("adam" or "rmsprop"))
                throw new TrainingSetupException($"Loss '{info.Name}' asks for optimizer '{info.OptimizerOf(network.Name).Kind}' for network " +
                    $"'{network.Name}'; the trainer knows adam and rmsprop.");
        bool IsAdam(NetworkInfo n) => info.OptimizerOf(n.Name).Kind.Trim().Equals("adam", StringComparison.OrdinalIgnoreCase);
        if (options.Betas is not null && !info.Networks.Any(IsAdam))
            throw new TrainingSetupException($"TrainOptions.Betas sets Adam's betas, but loss '{info.Name}' trains with {info.Optimizer.Kind}. Leave " +
                "TrainOptions.Betas out.");

        var names = string.Join(", ", info.Networks.Select(n => n.Name));
        foreach (var (option, given) in new[] { ("TrainOptions.NetworkLearningRates", options.NetworkLearningRates.Keys),
            ("TrainOptions.NetworkBetas", options.NetworkBetas.Keys) })
            foreach (var name in given)
                if (info.Networks.All(n => n.Name != name))
                    throw new TrainingSetupException($"{option} names network '{name}', which loss '{info.Name}' does not use; its networks: {names}.");
        foreach (var name in options.NetworkBetas.Keys)
            if (!IsAdam(info.Networks.First(n => n.Name == name)))
                throw new TrainingSetupException(
                    $"TrainOptions.NetworkBetas sets Adam's betas of network '{name}', " +
                    $"but loss '{info.Name}' trains '{name}' with {info.OptimizerOf(name).Kind}. " +
                    $"Leave '{name}' out of TrainOptions.NetworkBetas.");
    }

    /// <summary>The learning rate the options give <paramref name="network"/>: by its name, else by its role; null for the loss's.</summary>
    private double? ExplicitLearningRate(NetworkInfo network) =>
        _options.NetworkLearningRates.TryGetValue(network.Name, out var own) ? own
        : network.Role == NetworkRole.Critic ? _options.LearningRateD : _options.LearningRateG;

    /// <summary>Adam's betas the options give <paramref name="network"/>: by its name, else for every network; null for the loss's.</summary>
    private (double Beta1, double Beta2)? ExplicitBetas(NetworkInfo network) =>
        _options.NetworkBetas.TryGetValue(network.Name, out var own) ? own : _options.Betas;

    private OptimizerSettings OptimizerFor(NetworkInfo network)
    {
        var defaults = _loss.Info.OptimizerOf(network.Name);
        var betas = ExplicitBetas(network);
        return new OptimizerSettings(defaults.Kind.Trim().ToLowerInvariant(), ExplicitLearningRate(network) ?? defaults.LearningRate,
            betas?.Beta1 ?? defaults.Beta1, betas?.Beta2 ?? defaults.Beta2, defaults.Alpha);
    }
}
