using GanDsl.Torch;

namespace GanDsl;

/// <summary>
/// A GAN objective as the trainer drives it. The source generator implements this
/// interface for every <c>[GanLoss]</c> class; hand-written implementations are possible
/// but lose the compile-time checks.
/// </summary>
public interface IGanLoss
{
    /// <summary>Name, hyperparameters, state, networks and schedule of the objective.</summary>
    LossInfo Info { get; }

    /// <summary>Hyperparameter values of this instance (defaults from the declaration, overridable by name).</summary>
    Hyperparameters Hyper { get; }

    /// <summary>State carried between steps (BEGAN's k, Fisher GAN's λ, MAGAN's margin); empty when the loss has none.</summary>
    LossState State { get; }

    /// <summary>
    /// One critic-side step: computes the discriminator loss, calls <c>Backward</c> on it once,
    /// applies the state updates declared to run after a critic step, and reports the terms.
    /// The caller zeroes gradients before and steps the optimizers after.
    /// </summary>
    StepResult DiscriminatorStep(StepContext context);

    /// <summary>One generator step: computes the generator loss and calls <c>Backward</c> on it once.</summary>
    StepResult GeneratorStep(StepContext context);

    /// <summary>Called by the trainer at the end of each pass over the data (MAGAN's margin rule); most losses do nothing.</summary>
    void EndOfEpoch(StepContext context) { }
}

/// <summary>The scalar outcome of one step, for logging and for checks against reference values.</summary>
/// <param name="Loss">The value of the loss that was minimised.</param>
/// <param name="Terms">Named intermediate values (penalties, state before the update, convergence measures) in declaration order.</param>
public sealed record StepResult(double Loss, IReadOnlyList<KeyValuePair<string, double>> Terms)
{
    /// <summary>A result with no named terms.</summary>
    public StepResult(double loss) : this(loss, Array.Empty<KeyValuePair<string, double>>()) { }

    /// <summary>The value of a named term, or <c>null</c> when the step did not report it.</summary>
    public double? Term(string name)
    {
        foreach (var kv in Terms) if (kv.Key == name) return kv.Value;
        return null;
    }
}
