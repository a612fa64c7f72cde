using TorchSharp;
using static TorchSharp.torch;

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
    /// One critic-side step: computes the discriminator loss, calls <c>backward</c> on it once,
    /// applies the state updates declared to run after a critic step, and reports the terms.
    /// The caller zeroes gradients before and steps the optimizers after.
    /// </summary>
    StepResult DiscriminatorStep(StepContext context);

    /// <summary>One generator step: computes the generator loss and calls <c>backward</c> on it once.</summary>
    StepResult GeneratorStep(StepContext context);

    /// <summary>Called by the trainer at the end of each pass over the data (MAGAN's margin rule); most losses do nothing.</summary>
    void EndOfEpoch(StepContext context) { }
}

/// <summary>
/// A named value a step reports for logging: a penalty, a state value before its update, a monitor.
/// Tensor terms stay on the device until read, so a step never waits for the device to report them.
/// </summary>
public sealed class StepTerm
{
    private Tensor? _tensor;
    private double? _value;

    /// <summary>A term computed on the device (a scalar tensor); it is detached from the graph.</summary>
    public StepTerm(string name, Tensor value)
    {
        Name = name;
        _tensor = value.detach();
    }

    /// <summary>A term computed on the host (a hyperparameter or state value).</summary>
    public StepTerm(string name, double value)
    {
        Name = name;
        _value = value;
    }

    /// <summary>The term's name in the loss declaration.</summary>
    public string Name { get; }

    /// <summary>The scalar tensor of a device term, or null for a host term.</summary>
    public Tensor? Tensor => _tensor;

    /// <summary>The value (reads the device the first time for a device term).</summary>
    public double Value => _value ??= _tensor!.ToDouble();

    internal void MoveToOuterDisposeScope() => _tensor?.MoveToOuterDisposeScope();

    internal void Dispose()
    {
        _tensor?.Dispose();
        _tensor = null;
    }
}

/// <summary>
/// The scalar outcome of one step, for logging and for checks against reference values. The loss and
/// device terms are detached scalar tensors; <see cref="Loss"/> and <see cref="Terms"/> read them on
/// first use (a device synchronisation), so a training loop reads them only when it logs.
/// </summary>
public sealed class StepResult : IDisposable
{
    private Tensor? _lossTensor;
    private double? _loss;
    private readonly StepTerm[] _terms;

    /// <summary>A result holding <paramref name="loss"/> (detached here) and the step's named terms.</summary>
    public StepResult(Tensor loss, params StepTerm[] terms)
    {
        _lossTensor = loss.detach();
        _terms = terms;
    }

    /// <summary>A result whose values are already on the host.</summary>
    public StepResult(double loss, IReadOnlyList<KeyValuePair<string, double>>? terms = null)
    {
        _loss = loss;
        _terms = (terms ?? []).Select(t => new StepTerm(t.Key, t.Value)).ToArray();
    }

    /// <summary>The loss as a detached scalar tensor, or null when the result was built from host values.</summary>
    public Tensor? LossTensor => _lossTensor;

    /// <summary>The value of the loss that was minimised.</summary>
    public double Loss => _loss ??= _lossTensor!.ToDouble();

    /// <summary>The named terms in declaration order, with their tensors (for fused checks on the device).</summary>
    public IReadOnlyList<StepTerm> TermValues => _terms;

    /// <summary>Named intermediate values (penalties, state before the update, convergence measures) in declaration order.</summary>
    public IReadOnlyList<KeyValuePair<string, double>> Terms => _terms.Select(t => new KeyValuePair<string, double>(t.Name, t.Value)).ToArray();

    /// <summary>The value of a named term, or <c>null</c> when the step did not report it.</summary>
    public double? Term(string name)
    {
        foreach (var t in _terms) if (t.Name == name) return t.Value;
        return null;
    }

    /// <summary>Keeps the result's tensors alive past the dispose scope the step ran in.</summary>
    public StepResult MoveToOuterDisposeScope()
    {
        _lossTensor?.MoveToOuterDisposeScope();
        foreach (var t in _terms) t.MoveToOuterDisposeScope();
        return this;
    }

    /// <summary>Frees the result's tensors; values already read stay readable.</summary>
    public void Dispose()
    {
        _lossTensor?.Dispose();
        _lossTensor = null;
        foreach (var t in _terms) t.Dispose();
    }
}
