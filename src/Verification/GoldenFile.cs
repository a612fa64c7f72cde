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
    JsonElement Raw)
{
    /// <summary>The file net that plays the loss's generator (<c>generator</c> key, conditional entries), or null for the file's <c>G</c>.</summary>
    public string? Generator { get; init; }
}

/// <summary>
/// A file in the golden format (described in the repository's <c>docs/golden-files.md</c>): tiny networks, fixed inputs and, per
/// loss, reference values and gradients computed in float64 by an independent implementation.
/// </summary>
public sealed class GoldenFile
{
    private GoldenFile(string path, IReadOnlyDictionary<string, IReadOnlyList<GoldenLayer>> nets,
        IReadOnlyDictionary<string, GoldenBatch> inputs, IReadOnlyList<GoldenEntry> entries,
        IReadOnlySet<string> labelledNets, IReadOnlyDictionary<string, long[]> labels, int classCount)
    {
        Path = path;
        Nets = nets;
        Inputs = inputs;
        Entries = entries;
        LabelledNets = labelledNets;
        Labels = labels;
        ClassCount = classCount;
    }

    /// <summary>Where the file was read from.</summary>
    public string Path { get; }

    /// <summary>Every network of the file (<c>D</c>, <c>G</c>, <c>AE</c>, <c>H</c>, ...), layer by layer.</summary>
    public IReadOnlyDictionary<string, IReadOnlyList<GoldenLayer>> Nets { get; }

    /// <summary>The input batches (<c>x</c>, <c>z</c>, <c>z2</c>, ...).</summary>
    public IReadOnlyDictionary<string, GoldenBatch> Inputs { get; }

    /// <summary>The loss entries in file order.</summary>
    public IReadOnlyList<GoldenEntry> Entries { get; }

    /// <summary>
    /// The nets that take class labels (<c>label_input: "one-hot"</c>): their input is the batch with the labels' one-hot
    /// appended, <c>[v, one_hot(label, K)]</c> (<see cref="OneHotLabelNetwork"/>).
    /// </summary>
    public IReadOnlySet<string> LabelledNets { get; }

    /// <summary>The class labels of <c>inputs</c>: <c>y</c> (of the real batch x) and <c>yz</c> (drawn with the noise z); empty for a file without
    /// labels.</summary>
    public IReadOnlyDictionary<string, long[]> Labels { get; }

    /// <summary>K, the number of classes (<c>classes</c>); 0 for a file without labels.</summary>
    public int ClassCount { get; }

    /// <summary>The input keys read as class labels rather than batches.</summary>
    private static readonly string[] LabelKeys = ["y", "yz"];

    /// <summary>Reads and checks a golden file.</summary>
    /// <exception cref="GoldenFormatException">The file is missing, not JSON, or lacks a required key; the message says which and what to do.</exception>
    public static GoldenFile Load(string path)
    {
        if (!File.Exists(path))
            throw new GoldenFormatException($"'{path}' does not exist. Pass the path of a golden JSON file (for example " +
                "tests/reference/golden/core.json in the GanDsl repository).");
        string text;
        try { text = File.ReadAllText(path); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        { throw new GoldenFormatException($"'{path}' cannot be read: {e.Message}", e); }

        JsonDocument doc;
        try { doc = JsonDocument.Parse(text, new JsonDocumentOptions { AllowTrailingCommas = true }); }
        catch (JsonException e)
        {
            throw new GoldenFormatException($"'{path}' is not valid JSON ({e.Message}). Regenerate or re-copy the file; the format is described in " +
                "docs/golden-files.md of the GanDsl repository.", e);
        }

        using (doc)
        {
            var root = doc.RootElement.Clone();
            var where = $"'{path}'";
            if (root.ValueKind != JsonValueKind.Object) throw Bad(where, "the top level is not a JSON object");

            var classes = ReadClassCount(root, where);

            var nets = new Dictionary<string, IReadOnlyList<GoldenLayer>>(StringComparer.Ordinal);
            var labelled = new HashSet<string>(StringComparer.Ordinal);
            foreach (var net in Required(root, "nets", where).EnumerateObject())
            {
                var w = $"{where} nets.{net.Name}";
                nets[net.Name] = ReadLayers(Required(net.Value, "layers", w), w);
                if (ReadsLabels(net.Value, w, classes)) labelled.Add(net.Name);
            }

            var inputs = new Dictionary<string, GoldenBatch>(StringComparer.Ordinal);
            var labels = new Dictionary<string, long[]>(StringComparer.Ordinal);
            foreach (var input in Required(root, "inputs", where).EnumerateObject())
            {
                if (LabelKeys.Contains(input.Name))
                    labels[input.Name] = ReadLabels(input.Value, $"{where} inputs.{input.Name}", classes);
                else if (input.Value.ValueKind == JsonValueKind.Array)
                    inputs[input.Name] = ReadBatch(input.Value, $"{where} inputs.{input.Name}");
            }

            var entries = new List<GoldenEntry>();
            foreach (var loss in Required(root, "losses", where).EnumerateObject())
                entries.Add(ReadEntry(loss.Name, loss.Value, $"{where} losses.{loss.Name}"));

            return new GoldenFile(path, nets, inputs, entries, labelled, labels, classes);
        }
    }

    /// <summary>The top-level <c>classes</c> (K ≥ 1), or 0 when the file has none.</summary>
    private static int ReadClassCount(JsonElement root, string where)
    {
        if (!root.TryGetProperty("classes", out var c) || c.ValueKind == JsonValueKind.Null) return 0;
        return c.ValueKind == JsonValueKind.Number && c.TryGetInt32(out var k) && k >= 1
            ? k : throw Bad($"{where} classes", $"is {c.GetRawText()}, not a whole number of classes K ≥ 1");
    }

    /// <summary>Whether a net takes labels: <c>label_input: "one-hot"</c> (the only form), which needs <c>classes</c>.</summary>
    private static bool ReadsLabels(JsonElement net, string where, int classes)
    {
        if (!net.TryGetProperty("label_input", out var l) || l.ValueKind == JsonValueKind.Null) return false;
        if (l.ValueKind != JsonValueKind.String || l.GetString() != "one-hot")
            throw Bad($"{where}.label_input", $"is {l.GetRawText()}; the only label input is \"one-hot\" (the labels' one-hot appended to the input)");
        if (classes == 0) throw Bad(where, "takes labels (label_input), but the file gives no 'classes'");
        return true;
    }

    /// <summary>A vector of class labels, whole numbers in [0, classes).</summary>
    private static long[] ReadLabels(JsonElement e, string where, int classes)
    {
        if (classes == 0) throw Bad(where, "holds class labels, but the file gives no 'classes'");
        var values = ReadVector(e, where);
        var labels = new long[values.Length];
        for (int i = 0; i < values.Length; i++)
        {
            if (values[i] != Math.Floor(values[i]) || values[i] < 0 || values[i] >= classes)
                throw Bad($"{where}[{i}]", $"is {values[i]}, not a class label in [0, {classes})");
            labels[i] = (long)values[i];
        }
        if (labels.Length == 0) throw Bad(where, "is empty");
        return labels;
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
            e)
        {
            Generator = e.TryGetProperty("generator", out var generator) && generator.ValueKind == JsonValueKind.String ? generator.GetString() : null,
        };
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
