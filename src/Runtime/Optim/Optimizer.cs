using GanDsl.Nn;
using GanDsl.Torch;

namespace GanDsl.Optim;

/// <summary>
/// Base of the optimizers: updates a fixed list of parameters from their gradients, as
/// <c>torch.optim</c> does. Parameters without a gradient are skipped and their state is not
/// advanced. <see cref="Step"/> runs without autograd and updates parameters and state in place.
/// </summary>
/// <remarks>
/// State is created lazily, at a parameter's first update, as in PyTorch. For checkpoints,
/// <see cref="GetState"/> copies it out and <see cref="SetState"/> restores it; names are
/// <c>"{index}.{kind}"</c> (index of the parameter in <see cref="Parameters"/>, kind as in
/// torch.optim: <c>exp_avg</c>, <c>exp_avg_sq</c>, <c>square_avg</c>, <c>momentum_buffer</c>,
/// <c>grad_avg</c>), with the step count of each parameter.
/// </remarks>
public abstract class Optimizer : IDisposable
{
    private readonly Tensor[] _parameters;
    private readonly long[] _steps;
    private readonly Dictionary<(int Index, string Kind), Tensor> _state = new();
    private double _learningRate;
    private bool _disposed;

    /// <summary>Creates the optimizer over <paramref name="parameters"/> (the list is copied; the tensors are not owned).</summary>
    protected Optimizer(IEnumerable<Tensor> parameters, double learningRate)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        _parameters = parameters.ToArray();
        if (_parameters.Length == 0) throw new ArgumentException("An optimizer needs at least one parameter.", nameof(parameters));
        if (_parameters.Distinct(ReferenceEqualityComparer.Instance).Count() != _parameters.Length)
            throw new ArgumentException("A parameter appears more than once in the optimizer's list.", nameof(parameters));
        _steps = new long[_parameters.Length];
        LearningRate = learningRate;
    }

    /// <summary>The parameters updated, in order.</summary>
    public IReadOnlyList<Tensor> Parameters => _parameters;

    /// <summary>The learning rate of the next steps (a schedule may change it between steps).</summary>
    public double LearningRate
    {
        get => _learningRate;
        set
        {
            if (!(value >= 0) || double.IsInfinity(value))
                throw new ArgumentOutOfRangeException(nameof(value), $"The learning rate must be finite and not negative, got {value}.");
            _learningRate = value;
        }
    }

    /// <summary>The state kinds this optimizer keeps per parameter (its names in <see cref="GetState"/>).</summary>
    protected abstract IReadOnlyList<string> StateKinds { get; }

    /// <summary>Applies one update to every parameter that has a gradient.</summary>
    public void Step()
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        using var noGrad = Torch.Torch.NoGrad();
        for (var i = 0; i < _parameters.Length; i++)
        {
            var parameter = _parameters[i];
            using var grad = parameter.Grad;
            if (grad is null) continue;
            _steps[i]++;
            Update(i, parameter, grad, _steps[i]);
        }
    }

    /// <summary>Drops every parameter's gradient (PyTorch's <c>zero_grad(set_to_none=True)</c>).</summary>
    public void ZeroGrad()
    {
        foreach (var p in _parameters) p.ZeroGrad();
    }

    /// <summary>
    /// Updates parameter <paramref name="index"/> in place from <paramref name="grad"/>; runs
    /// under no-grad. <paramref name="step"/> counts this parameter's updates, this one included (1 at first).
    /// </summary>
    protected abstract void Update(int index, Tensor parameter, Tensor grad, long step);

    /// <summary>The state tensor <paramref name="kind"/> of parameter <paramref name="index"/>, created as zeros like the parameter if absent.</summary>
    protected Tensor State(int index, string kind)
    {
        if (_state.TryGetValue((index, kind), out var t)) return t;
        var p = _parameters[index];
        t = ModuleTensors.Own(Torch.Torch.Zeros(p.Shape, p.DType, p.Device));
        _state[(index, kind)] = t;
        return t;
    }

    /// <summary>A copy of the optimizer's state: per-parameter step counts and every state tensor by name (the caller disposes it).</summary>
    public OptimizerState GetState()
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        var tensors = new List<(string, Tensor)>();
        foreach (var ((index, kind), t) in _state.OrderBy(e => e.Key.Index).ThenBy(e => e.Key.Kind, StringComparer.Ordinal))
            tensors.Add(($"{index}.{kind}", ModuleTensors.Own(t.Clone())));
        return new OptimizerState((long[])_steps.Clone(), tensors);
    }

    /// <summary>
    /// Replaces the optimizer's state by a copy of <paramref name="state"/> (from <see cref="GetState"/>
    /// of an optimizer of the same kind over parameters of the same shapes). Everything is checked first;
    /// on a mismatch nothing changes.
    /// </summary>
    /// <exception cref="ArgumentException">The state does not fit this optimizer; the message says how.</exception>
    public void SetState(OptimizerState state)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        ArgumentNullException.ThrowIfNull(state);
        if (state.Steps.Count != _parameters.Length)
            throw new ArgumentException($"The state is for {state.Steps.Count} parameters, this {GetType().Name} has {_parameters.Length}. Restore it into an optimizer over the same model.", nameof(state));
        var parsed = new List<(int Index, string Kind, Tensor Value)>();
        foreach (var (name, value) in state.Tensors)
        {
            var dot = name.IndexOf('.', StringComparison.Ordinal);
            if (dot <= 0 || !int.TryParse(name.AsSpan(0, dot), out var index) || index < 0 || index >= _parameters.Length)
                throw new ArgumentException($"State entry '{name}' does not name a parameter index of this optimizer (0..{_parameters.Length - 1}).", nameof(state));
            var kind = name[(dot + 1)..];
            if (!StateKinds.Contains(kind))
                throw new ArgumentException($"State entry '{name}': {GetType().Name} keeps no '{kind}' (it keeps {string.Join(", ", StateKinds)}). Was the state saved from another optimizer?", nameof(state));
            var shape = _parameters[index].Shape;
            if (!value.Shape.SequenceEqual(shape))
                throw new ArgumentException($"State entry '{name}' has shape [{string.Join(", ", value.Shape)}], parameter {index} has [{string.Join(", ", shape)}].", nameof(state));
            parsed.Add((index, kind, value));
        }
        foreach (var t in _state.Values) t.Dispose();
        _state.Clear();
        using var noGrad = Torch.Torch.NoGrad();
        foreach (var (index, kind, value) in parsed)
        {
            var p = _parameters[index];
            var copy = ModuleTensors.Own(Torch.Torch.Zeros(p.Shape, p.DType, p.Device));
            copy.CopyFrom_(value);
            _state[(index, kind)] = copy;
        }
        for (var i = 0; i < _steps.Length; i++) _steps[i] = state.Steps[i];
    }

    /// <summary>Frees the state tensors (not the parameters).</summary>
    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        foreach (var t in _state.Values) t.Dispose();
        _state.Clear();
        GC.SuppressFinalize(this);
    }
}

/// <summary>
/// An optimizer's state for a checkpoint: the number of updates of each parameter and the named
/// state tensors (<c>"{index}.{kind}"</c>). Owns copies of the tensors: dispose it.
/// </summary>
public sealed class OptimizerState : IDisposable
{
    /// <summary>Creates the state; it takes ownership of the tensors.</summary>
    public OptimizerState(IReadOnlyList<long> steps, IReadOnlyList<(string Name, Tensor Tensor)> tensors)
    {
        Steps = steps ?? throw new ArgumentNullException(nameof(steps));
        Tensors = tensors ?? throw new ArgumentNullException(nameof(tensors));
    }

    /// <summary>Updates applied to each parameter so far (index as in <see cref="Optimizer.Parameters"/>).</summary>
    public IReadOnlyList<long> Steps { get; }

    /// <summary>The state tensors by name.</summary>
    public IReadOnlyList<(string Name, Tensor Tensor)> Tensors { get; }

    /// <summary>The state as tensor-file records under <paramref name="prefix"/>: <c>prefix + "steps"</c> (int64 [n]) and <c>prefix + name</c> for each tensor.</summary>
    public IEnumerable<TensorRecord> ToRecords(string prefix)
    {
        var steps = Steps.ToArray();
        yield return new TensorRecord(prefix + "steps", DType.Int64, [steps.Length],
            System.Runtime.InteropServices.MemoryMarshal.AsBytes(steps.AsSpan()).ToArray());
        foreach (var (name, t) in Tensors) yield return TensorRecord.FromTensor(prefix + name, t);
    }

    /// <summary>Rebuilds a state from the records <see cref="ToRecords"/> wrote under <paramref name="prefix"/> (other records are ignored).</summary>
    /// <exception cref="TensorFileException">The step counts are missing or malformed.</exception>
    public static OptimizerState FromRecords(IEnumerable<TensorRecord> records, string prefix, Device? device = null)
    {
        var mine = records.Where(r => r.Name.StartsWith(prefix, StringComparison.Ordinal)).ToList();
        var stepsRecord = mine.FirstOrDefault(r => r.Name == prefix + "steps")
            ?? throw new TensorFileException($"The optimizer state '{prefix}steps' is missing. The checkpoint was not written by this trainer; start a new run or pick another checkpoint.");
        if (stepsRecord.DType != DType.Int64 || stepsRecord.Shape.Length != 1)
            throw new TensorFileException($"'{prefix}steps' must be an int64 vector, found {stepsRecord.DType} of rank {stepsRecord.Shape.Length}.");
        var steps = System.Runtime.InteropServices.MemoryMarshal.Cast<byte, long>(stepsRecord.Data).ToArray();
        var tensors = new List<(string, Tensor)>();
        try
        {
            foreach (var r in mine)
                if (!ReferenceEquals(r, stepsRecord))
                    tensors.Add((r.Name[prefix.Length..], ModuleTensors.Own(r.ToTensor(device))));
        }
        catch
        {
            foreach (var (_, t) in tensors) t.Dispose();
            throw;
        }
        return new OptimizerState(steps, tensors);
    }

    /// <summary>Frees the tensors.</summary>
    public void Dispose()
    {
        foreach (var (_, t) in Tensors) t.Dispose();
    }
}
