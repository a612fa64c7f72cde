namespace GanDsl;

/// <summary>Named scalar state a loss carries between steps, such as BEGAN's <c>k</c>.</summary>
public sealed class LossState
{
    private readonly Dictionary<string, double> _values;
    private readonly IReadOnlyList<StateInfo> _declared;

    /// <summary>Starts every state variable at its declared initial value.</summary>
    public LossState(IReadOnlyList<StateInfo> declared)
    {
        _declared = declared;
        _values = declared.ToDictionary(s => s.Name, s => s.Initial, StringComparer.Ordinal);
    }

    /// <summary>The current value of <paramref name="name"/>.</summary>
    public double this[string name]
    {
        get => _values.TryGetValue(name, out var v) ? v : throw new KeyNotFoundException($"No state variable '{name}'.");
        set
        {
            if (!_values.ContainsKey(name)) throw new KeyNotFoundException($"No state variable '{name}'.");
            _values[name] = value;
        }
    }

    /// <summary>Names in declaration order.</summary>
    public IEnumerable<string> Names => _declared.Select(s => s.Name);

    /// <summary>Puts every variable back to its initial value.</summary>
    public void Reset()
    {
        foreach (var s in _declared) _values[s.Name] = s.Initial;
    }

    /// <summary>A copy of every value, for logs and checkpoints.</summary>
    public IReadOnlyDictionary<string, double> Snapshot() => new Dictionary<string, double>(_values);
}
