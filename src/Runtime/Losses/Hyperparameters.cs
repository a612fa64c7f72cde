namespace GanDsl;

/// <summary>Named hyperparameter values of one loss instance: defaults from the declaration, overridable by name.</summary>
public sealed class Hyperparameters
{
    private readonly string _lossName;
    private readonly Dictionary<string, double> _values;

    /// <summary>Starts every hyperparameter at its declared default.</summary>
    /// <exception cref="ArgumentNullException">An argument or a declared hyperparameter is null.</exception>
    /// <exception cref="ArgumentException">Two hyperparameters share a name, or a default is not finite.</exception>
    public Hyperparameters(string lossName, IEnumerable<HyperInfo> declared)
    {
        ArgumentNullException.ThrowIfNull(lossName);
        ArgumentNullException.ThrowIfNull(declared);
        var list = declared.ToList();
        if (list.IndexOf(null!) is var at and >= 0) throw new ArgumentNullException(nameof(declared), $"Hyperparameter {at} of loss '{lossName}' is null.");
        if (list.GroupBy(h => h.Name).FirstOrDefault(g => g.Count() > 1) is { } twice)
            throw new ArgumentException($"Loss '{lossName}' declares hyperparameter '{twice.Key}' twice.", nameof(declared));
        if (list.FirstOrDefault(h => !double.IsFinite(h.Default)) is { } bad)
            throw new ArgumentException($"Hyperparameter '{bad.Name}' of loss '{lossName}' has default {bad.Default}; it must be finite.", nameof(declared));
        _lossName = lossName;
        _values = list.ToDictionary(h => h.Name, h => h.Default, StringComparer.Ordinal);
    }

    /// <summary>The current value of <paramref name="name"/>.</summary>
    public double this[string name]
    {
        get => name is not null && _values.TryGetValue(name, out var v) ? v : throw Unknown(name);
        set => Set(name, value);
    }

    /// <summary>Names in declaration order.</summary>
    public IEnumerable<string> Names => _values.Keys;

    /// <summary>Overrides a value; an unknown name is an <see cref="ArgumentException"/> listing the known ones.</summary>
    public void Set(string name, double value)
    {
        if (name is null || !_values.ContainsKey(name)) throw Unknown(name);
        if (!double.IsFinite(value)) throw new ArgumentException($"Hyperparameter '{name}' of loss '{_lossName}' must be finite, not {value}.", nameof(value));
        _values[name] = value;
    }

    /// <summary>A copy of every value, for logs and checkpoints.</summary>
    public IReadOnlyDictionary<string, double> Snapshot() => new Dictionary<string, double>(_values);

    private ArgumentException Unknown(string? name) => new(
        $"Loss '{_lossName}' has no hyperparameter '{name}'" +
        (_values.Count == 0 ? " (it has none)." : $"; it has: {string.Join(", ", _values.Keys)}."), nameof(name));
}
