using System.Text.Json;

namespace GanDsl.Verification;

/// <summary>The file is missing, unreadable, not JSON, or not in the golden format.</summary>
public sealed class GoldenFormatException(string message, Exception? inner = null) : Exception(message, inner);

/// <summary>One dense layer of a golden network: <c>y = W v + b</c>, W stored [out][in].</summary>
public sealed record GoldenLayer(double[] Weight, double[] Bias, int Out, int In);

/// <summary>Per-layer gradients of one network, laid out like the network (<c>grad_d</c>, <c>grad_g</c>).</summary>
/// <param name="Network">The net the file says the gradient belongs to (<c>net</c> key), or null when it does not say.</param>
/// <param name="Layers">The gradient of each layer's weight and bias.</param>
public sealed record GoldenGradient(string? Network, IReadOnlyList<GoldenLayer> Layers);

/// <summary>A batch from <c>inputs</c>: row-major values and their [batch, features] shape.</summary>
public sealed record GoldenBatch(double[] Values, long[] Shape);

/// <summary>One entry of <c>losses</c>. Keys the reader does not know are kept in <see cref="Raw"/> and otherwise ignored.</summary>
public sealed record GoldenEntry(
    string Name,
    string? Critic,
    IReadOnlyDictionary<string, JsonElement> Coefficients,
    double? DiscriminatorLoss,
    double? GeneratorLoss,
    GoldenGradient? GradD,
    GoldenGradient? GradDAux,
    GoldenGradient? GradG,
    IReadOnlyDictionary<string, JsonElement> Aux,
    JsonElement Raw);

/// <summary>
/// A file in the golden format (described in the repository's <c>docs/golden-files.md</c>): tiny networks, fixed inputs and, per
/// loss, reference values and gradients computed in float64 by an independent implementation.
/// </summary>
public sealed class GoldenFile
{
    private GoldenFile(string path, IReadOnlyDictionary<string, IReadOnlyList<GoldenLayer>> nets,
        IReadOnlyDictionary<string, GoldenBatch> inputs, IReadOnlyList<GoldenEntry> entries)
    {
        Path = path;
        Nets = nets;
        Inputs = inputs;
        Entries = entries;
    }

    /// <summary>Where the file was read from.</summary>
    public string Path { get; }

    /// <summary>Every network of the file (<c>D</c>, <c>G</c>, <c>AE</c>, <c>H</c>, ...), layer by layer.</summary>
    public IReadOnlyDictionary<string, IReadOnlyList<GoldenLayer>> Nets { get; }

    /// <summary>The input batches (<c>x</c>, <c>z</c>, <c>z2</c>, ...).</summary>
    public IReadOnlyDictionary<string, GoldenBatch> Inputs { get; }

    /// <summary>The loss entries in file order.</summary>
    public IReadOnlyList<GoldenEntry> Entries { get; }

    /// <summary>Reads and checks a golden file.</summary>
    /// <exception cref="GoldenFormatException">The file is missing, not JSON, or lacks a required key; the message says which and what to do.</exception>
    public static GoldenFile Load(string path)
    {
        if (!File.Exists(path))
            throw new GoldenFormatException($"'{path}' does not exist. Pass the path of a golden JSON file (for example tests/reference/golden/core.json in the GanDsl repository).");
        string text;
        try { text = File.ReadAllText(path); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        { throw new GoldenFormatException($"'{path}' cannot be read: {e.Message}", e); }

        JsonDocument doc;
        try { doc = JsonDocument.Parse(text, new JsonDocumentOptions { AllowTrailingCommas = true }); }
        catch (JsonException e)
        { throw new GoldenFormatException($"'{path}' is not valid JSON ({e.Message}). Regenerate or re-copy the file; the format is described in docs/golden-files.md of the GanDsl repository.", e); }

        using (doc)
        {
            var root = doc.RootElement.Clone();
            var where = $"'{path}'";
            if (root.ValueKind != JsonValueKind.Object) throw Bad(where, "the top level is not a JSON object");

            var nets = new Dictionary<string, IReadOnlyList<GoldenLayer>>(StringComparer.Ordinal);
            foreach (var net in Required(root, "nets", where).EnumerateObject())
                nets[net.Name] = ReadLayers(Required(net.Value, "layers", $"{where} nets.{net.Name}"), $"{where} nets.{net.Name}");

            var inputs = new Dictionary<string, GoldenBatch>(StringComparer.Ordinal);
            foreach (var input in Required(root, "inputs", where).EnumerateObject())
                if (input.Value.ValueKind == JsonValueKind.Array)
                    inputs[input.Name] = ReadBatch(input.Value, $"{where} inputs.{input.Name}");

            var entries = new List<GoldenEntry>();
            foreach (var loss in Required(root, "losses", where).EnumerateObject())
                entries.Add(ReadEntry(loss.Name, loss.Value, $"{where} losses.{loss.Name}"));

            return new GoldenFile(path, nets, inputs, entries);
        }
    }

    private static GoldenEntry ReadEntry(string name, JsonElement e, string where)
    {
        if (e.ValueKind != JsonValueKind.Object) throw Bad(where, "is not an object");
        var coefficients = new Dictionary<string, JsonElement>(StringComparer.Ordinal);
        if (e.TryGetProperty("coefficients", out var c) && c.ValueKind == JsonValueKind.Object)
            foreach (var p in c.EnumerateObject()) coefficients[p.Name] = p.Value;
        var aux = new Dictionary<string, JsonElement>(StringComparer.Ordinal);
        if (e.TryGetProperty("aux", out var a) && a.ValueKind == JsonValueKind.Object)
            foreach (var p in a.EnumerateObject()) aux[p.Name] = p.Value;
        return new GoldenEntry(
            name,
            e.TryGetProperty("critic", out var critic) && critic.ValueKind == JsonValueKind.String ? critic.GetString() : null,
            coefficients,
            OptionalNumber(e, "d_loss", where),
            OptionalNumber(e, "g_loss", where),
            OptionalGradient(e, "grad_d", where),
            OptionalGradient(e, "grad_d_aux", where),
            OptionalGradient(e, "grad_g", where),
            aux,
            e);
    }

    private static double? OptionalNumber(JsonElement e, string key, string where)
    {
        if (!e.TryGetProperty(key, out var v) || v.ValueKind == JsonValueKind.Null) return null;
        return v.ValueKind == JsonValueKind.Number ? v.GetDouble() : throw Bad($"{where}.{key}", "is not a number");
    }

    private static GoldenGradient? OptionalGradient(JsonElement e, string key, string where)
    {
        if (!e.TryGetProperty(key, out var v) || v.ValueKind == JsonValueKind.Null) return null;
        var w = $"{where}.{key}";
        var net = v.ValueKind == JsonValueKind.Object && v.TryGetProperty("net", out var n) && n.ValueKind == JsonValueKind.String ? n.GetString() : null;
        return new GoldenGradient(net, ReadLayers(Required(v, "layers", w), w));
    }

    private static IReadOnlyList<GoldenLayer> ReadLayers(JsonElement layers, string where)
    {
        if (layers.ValueKind != JsonValueKind.Array) throw Bad(where, "'layers' is not an array");
        var result = new List<GoldenLayer>();
        int i = 0;
        foreach (var layer in layers.EnumerateArray())
        {
            var w = $"{where}.layers[{i++}]";
            var weight = ReadMatrix(Required(layer, "W", w), $"{w}.W", out var rows, out var cols);
            var bias = ReadVector(Required(layer, "b", w), $"{w}.b");
            if (bias.Length != rows) throw Bad(w, $"b has {bias.Length} values but W has {rows} rows");
            result.Add(new GoldenLayer(weight, bias, rows, cols));
        }
        if (result.Count == 0) throw Bad(where, "has no layers");
        for (int k = 1; k < result.Count; k++)
            if (result[k].In != result[k - 1].Out)
                throw Bad(where, $"layer {k} takes {result[k].In} inputs but layer {k - 1} gives {result[k - 1].Out}");
        return result;
    }

    private static GoldenBatch ReadBatch(JsonElement e, string where)
    {
        var values = ReadMatrix(e, where, out var rows, out var cols);
        return new GoldenBatch(values, [rows, cols]);
    }

    /// <summary>A [rows][cols] array of numbers, row-major.</summary>
    internal static double[] ReadMatrix(JsonElement e, string where, out int rows, out int cols)
    {
        if (e.ValueKind != JsonValueKind.Array) throw Bad(where, "is not an array of rows");
        var list = new List<double>();
        rows = 0;
        cols = -1;
        foreach (var row in e.EnumerateArray())
        {
            var r = ReadVector(row, $"{where}[{rows}]");
            if (cols >= 0 && r.Length != cols) throw Bad(where, $"row {rows} has {r.Length} values, row 0 has {cols}");
            cols = r.Length;
            list.AddRange(r);
            rows++;
        }
        if (rows == 0) throw Bad(where, "is empty");
        return list.ToArray();
    }

    /// <summary>A flat array of numbers.</summary>
    internal static double[] ReadVector(JsonElement e, string where)
    {
        if (e.ValueKind != JsonValueKind.Array) throw Bad(where, "is not an array of numbers");
        var values = new List<double>();
        foreach (var v in e.EnumerateArray())
        {
            if (v.ValueKind != JsonValueKind.Number) throw Bad(where, "holds something that is not a number");
            values.Add(v.GetDouble());
        }
        return values.ToArray();
    }

    private static JsonElement Required(JsonElement e, string key, string where) =>
        e.ValueKind == JsonValueKind.Object && e.TryGetProperty(key, out var v) && v.ValueKind != JsonValueKind.Null
            ? v : throw Bad(where, $"has no '{key}'");

    private static GoldenFormatException Bad(string where, string what) =>
        new($"{where} {what}. The file is not in the golden format (docs/golden-files.md of the GanDsl repository); regenerate or re-copy it.");
}
