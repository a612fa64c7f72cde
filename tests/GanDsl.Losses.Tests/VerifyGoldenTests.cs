using System.Text.Json.Nodes;
using GanDsl.Verification;

namespace GanDsl.Losses.Tests;

/// <summary>
/// Every loss of the zoo against the independent PyTorch reference values (tests/reference/zoo/zoo.json)
/// and against every file of tests/reference/golden (computed outside the project), through the same code as <c>gan verify-golden</c>.
/// </summary>
public sealed class VerifyGoldenTests
{
    private static (int Exit, string Out, string Err) Run(string path)
    {
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        var exit = GoldenVerifier.Run(path, stdout, stderr, Zoo.CreateRegistry());
        return (exit, stdout.ToString(), stderr.ToString());
    }

    [Fact]
    public void ZooReferenceMatchesEveryLoss()
    {
        var registry = Zoo.CreateRegistry();
        var file = GoldenFile.Load(TestPaths.ZooReference);
        var inFile = file.Entries.Select(e => e.Name).ToList();

        // The file and the zoo name the same losses: every zoo loss has reference values, every entry is a zoo loss.
        Assert.True(!Zoo.Names.Except(inFile).Any(), $"zoo losses without reference values in zoo.json: {string.Join(", ", Zoo.Names.Except(inFile))} (run tests/reference/zoo/make_zoo_reference.py)");
        var unknown = inFile.Where(n => !registry.Contains(n)).ToList();
        Assert.True(unknown.Count == 0, $"zoo.json has entries for losses the zoo does not have: {string.Join(", ", unknown)} (known: {string.Join(", ", registry.Names)})");

        var (exit, output, errors) = Run(TestPaths.ZooReference);
        Assert.True(exit == 0, output + errors);

        // Every loss of the file was computed and compared on both losses (GMMN has no critic loss).
        var checks = GoldenVerifier.Verify(file, registry);
        Assert.All(checks, c => Assert.True(c.Passed, $"{c.Loss} {c.Quantity}: {c.Expected} vs {c.Actual} {c.Note}"));
        foreach (var name in inFile)
        {
            Assert.Contains(checks, c => c.Loss == name && c.Quantity == "g_loss");
            Assert.Contains(checks, c => c.Loss == name && c.Quantity.StartsWith("grad_g 0.weight", StringComparison.Ordinal));
            if (name != "gmmn")
            {
                Assert.Contains(checks, c => c.Loss == name && c.Quantity == "d_loss");
                Assert.Contains(checks, c => c.Loss == name && c.Quantity.StartsWith("grad_d 1.bias", StringComparison.Ordinal));
            }
        }
        // State after the step and the clamp rule are compared where the file gives them.
        Assert.Contains(checks, c => c.Loss == "began" && c.Quantity == "state k_next");
        Assert.Contains(checks, c => c.Loss == "fisher" && c.Quantity == "state lambda_next");
        Assert.Contains(checks, c => c.Loss == "magan" && c.Quantity == "state margin_next");
        Assert.Contains(checks, c => c.Loss == "rwgan" && c.Quantity.StartsWith("clamped D 0.weight", StringComparison.Ordinal));
        Assert.Contains(checks, c => c.Loss == "ragan-aux" && c.Quantity.StartsWith("grad_d_aux(A) 0.weight", StringComparison.Ordinal));
    }

    public static TheoryData<string> GoldenFiles()
    {
        var data = new TheoryData<string>();
        foreach (var file in Directory.GetFiles(TestPaths.GoldenFolder, "*.json").OrderBy(f => f, StringComparer.Ordinal))
            data.Add(Path.GetFileName(file));
        return data;
    }

    [Fact]
    public void GoldenFolderHoldsTheIndependentReference() =>
        Assert.True(File.Exists(Path.Combine(TestPaths.GoldenFolder, "core.json")), "tests/reference/golden/core.json is missing");

    [Theory]
    [MemberData(nameof(GoldenFiles))]
    public void GoldenFileMatches(string fileName)
    {
        var (exit, output, errors) = Run(Path.Combine(TestPaths.GoldenFolder, fileName));
        Assert.True(exit == 0, output + errors);
        Assert.Contains("all within", output);
    }

    [Fact]
    public void UnknownLossFails()
    {
        var root = JsonNode.Parse(File.ReadAllText(TestPaths.ZooReference))!;
        var losses = root["losses"]!.AsObject();
        var entry = losses["hinge"]!.DeepClone();
        losses.Clear();
        losses["hinge"] = entry;
        losses["hinge-squared"] = entry.DeepClone();
        using var file = TempJson(root);

        var (exit, output, _) = Run(file.Path);
        Assert.Equal(1, exit);
        Assert.Contains("unknown loss", output);
        Assert.Contains("hinge-squared", output);
    }

    [Theory]
    [InlineData("d_loss")]
    [InlineData("g_loss")]
    [InlineData("grad_d")]
    [InlineData("grad_g")]
    [InlineData("k_next")]
    public void PerturbedValueFails(string which)
    {
        var root = JsonNode.Parse(File.ReadAllText(TestPaths.ZooReference))!;
        var losses = root["losses"]!.AsObject();
        var began = losses["began"]!.DeepClone();
        losses.Clear();
        losses["began"] = began;
        // A change of 1e-7 relative: far above the 1e-9 tolerance, far below anything visible in a plot.
        static void Nudge(JsonNode parent, string key) => parent[key] = parent[key]!.GetValue<double>() * (1 + 1e-7);
        static void NudgeElement(JsonArray parent, int index) => parent[index] = parent[index]!.GetValue<double>() * (1 + 1e-7);
        switch (which)
        {
            case "grad_d": NudgeElement(began["grad_d"]!["layers"]![1]!["b"]!.AsArray(), 0); break;
            case "grad_g": NudgeElement(began["grad_g"]!["layers"]![0]!["W"]![3]!.AsArray(), 1); break;
            case "k_next": Nudge(began["aux"]!, "k_next"); break;
            default: Nudge(began, which); break;
        }
        using var file = TempJson(root);

        var (exit, output, errors) = Run(file.Path);
        Assert.Equal(1, exit);
        Assert.Contains("FAIL", output);
        Assert.Contains("began", errors);
    }

    [Fact]
    public void UnperturbedCopyPasses()
    {
        // The control for the two tests above: the same rewriting without a change passes.
        var root = JsonNode.Parse(File.ReadAllText(TestPaths.ZooReference))!;
        var losses = root["losses"]!.AsObject();
        var began = losses["began"]!.DeepClone();
        losses.Clear();
        losses["began"] = began;
        using var file = TempJson(root);
        var (exit, output, errors) = Run(file.Path);
        Assert.True(exit == 0, output + errors);
    }

    [Fact]
    public void MissingFileIsExitTwo()
    {
        var (exit, output, errors) = Run(Path.Combine(Path.GetTempPath(), $"no-such-golden-{Guid.NewGuid():N}.json"));
        Assert.Equal(2, exit);
        Assert.Contains("does not exist", errors);
        Assert.Equal("", output);
    }

    [Theory]
    [InlineData("{ \"nets\": {")]
    [InlineData("[1, 2, 3]")]
    [InlineData("{ \"nets\": {}, \"inputs\": {} }")]
    public void CorruptFileIsExitTwo(string text)
    {
        var path = Path.Combine(Path.GetTempPath(), $"corrupt-golden-{Guid.NewGuid():N}.json");
        File.WriteAllText(path, text);
        try
        {
            var (exit, _, errors) = Run(path);
            Assert.Equal(2, exit);
            Assert.Contains("golden", errors);
        }
        finally { File.Delete(path); }
    }

    [Fact]
    public void HyperparameterOverrideChangesThePenaltyWeight()
    {
        // d_loss(λ) = WGAN critic loss + λ·gp: overriding Lambda by name to 5 must remove exactly 5·gp.
        var root = JsonNode.Parse(File.ReadAllText(TestPaths.ZooReference))!;
        var entry = root["losses"]!["wgan-gp"]!;
        var d10 = entry["d_loss"]!.GetValue<double>();
        var gp = entry["aux"]!["gp"]!.GetValue<double>();
        entry["coefficients"]!["lambda"] = 5.0;
        using var file = TempJson(root);

        var checks = GoldenVerifier.Verify(GoldenFile.Load(file.Path), Zoo.CreateRegistry());
        var d = checks.Single(c => c.Loss == "wgan-gp" && c.Quantity == "d_loss");
        Assert.False(d.Passed);   // the file's d_loss is for λ = 10
        Assert.Equal(d10 - 5 * gp, d.Actual!.Value, 1e-12);
    }

    private static string WriteTemp(JsonNode root)
    {
        var path = Path.Combine(Path.GetTempPath(), $"golden-{Guid.NewGuid():N}.json");
        File.WriteAllText(path, root.ToJsonString());
        return path;
    }

    private static TempFile TempJson(JsonNode root) => new(WriteTemp(root));

    private sealed class TempFile(string path) : IDisposable
    {
        public string Path { get; } = path;
        public void Dispose() => File.Delete(Path);
    }
}
