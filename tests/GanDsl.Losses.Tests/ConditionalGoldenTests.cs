using System.Reflection.Emit;
using System.Text.Json.Nodes;
using GanDsl.Verification;
using TorchSharp;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace GanDsl.Losses.Tests;

/// <summary>
/// Golden files with class labels (issue 16): <c>classes</c>, <c>inputs.y</c>/<c>yz</c>, nets with <c>label_input</c> and an
/// entry's <c>generator</c> are read; a label-taking golden net computes what the file's layers say; the verifier and the
/// gradient checker hand labelled step contexts and label-taking networks to a loss. The zoo's conditional loss classes
/// are written apart (branch cond-gen), so these tests verify hand-written TorchSharp versions of cgan (D and G take
/// labels) and tac-gan (a D with two class heads, a hyperparameter) against zoo.json's entries through the same code.
/// </summary>
public sealed class ConditionalGoldenTests
{
    private static readonly Lazy<GoldenFile> Zoo = new(() => GoldenFile.Load(TestPaths.ZooReference));

    [Fact]
    public void The_zoo_reference_gives_labels_classes_and_label_taking_nets()
    {
        var file = Zoo.Value;
        Assert.Equal(3, file.ClassCount);
        Assert.Equal(4, file.Labels["y"].Length);
        Assert.Equal(4, file.Labels["yz"].Length);
        Assert.All(file.Labels.Values.SelectMany(l => l), v => Assert.InRange(v, 0, 2));
        Assert.Equal(new[] { "Dy", "Gy" }, file.LabelledNets.Order(StringComparer.Ordinal).ToArray());
        Assert.Equal(5, file.Nets["Dy"][0].In);   // 2 features + K = 3 one-hot columns
        Assert.Equal(1 + 2 * 3, file.Nets["Dqq"][^1].Out);
        var cgan = file.Entries.Single(e => e.Name == "cgan");
        Assert.Equal(("Dy", "Gy"), (cgan.Critic, cgan.Generator));
        Assert.Null(file.Entries.Single(e => e.Name == "hinge").Generator);
        Assert.DoesNotContain("y", file.Inputs.Keys);   // labels are not batches
    }

    [Fact]
    public void A_label_taking_net_is_its_layers_applied_to_the_batch_and_the_labels_one_hot()
    {
        var file = Zoo.Value;
        var layers = file.Nets["Dy"];
        using var net = new OneHotLabelNetwork(new GoldenNetwork(layers), file.ClassCount);
        var x = file.Inputs["x"];
        var y = file.Labels["y"];
        using var output = net.call(torch.tensor(x.Values, x.Shape, ScalarType.Float64), torch.tensor(y, ScalarType.Int64));
        var actual = output.data<double>().ToArray();

        // By hand: v = [x_i, one_hot(y_i)], then y = W v + b per layer, LeakyReLU(0.2) between layers.
        for (int i = 0; i < y.Length; i++)
        {
            var v = new double[2 + file.ClassCount];
            v[0] = x.Values[2 * i];
            v[1] = x.Values[2 * i + 1];
            v[2 + y[i]] = 1;
            for (int k = 0; k < layers.Count; k++)
            {
                var l = layers[k];
                var next = new double[l.Out];
                for (int o = 0; o < l.Out; o++)
                {
                    next[o] = l.Bias[o];
                    for (int j = 0; j < l.In; j++) next[o] += l.Weight[o * l.In + j] * v[j];
                    if (k < layers.Count - 1 && next[o] < 0) next[o] *= 0.2;
                }
                v = next;
            }
            Assert.Equal(v[0], actual[i], 1e-12);
        }
        // The one-hot matters: another class gives another score.
        using var other = net.call(torch.tensor(x.Values, x.Shape, ScalarType.Float64), torch.tensor(y.Select(c => (c + 1) % 3).ToArray(), ScalarType.Int64));
        Assert.NotEqual(actual[0], other.data<double>()[0]);
    }

    [Fact]
    public void A_label_outside_the_classes_is_a_clear_error()
    {
        using var net = new OneHotLabelNetwork(new GoldenNetwork(Zoo.Value.Nets["Dy"]), 3);
        var e = Assert.Throws<ArgumentException>(() => net.call(torch.zeros(2, 2, ScalarType.Float64), torch.tensor(new long[] { 0, 3 })));
        Assert.Contains("outside [0, 3)", e.Message);
        e = Assert.Throws<ArgumentException>(() => net.call(torch.zeros(2, 2, ScalarType.Float64), torch.tensor(new long[] { 0, 1, 2 })));
        Assert.Contains("int64 labels [2]", e.Message);
    }

    [Theory]
    [InlineData("label out of range", "inputs.y[1]", "class label in [0, 3)")]
    [InlineData("label not whole", "inputs.yz[0]", "class label in [0, 3)")]
    [InlineData("unknown label input", "nets.Dy.label_input", "\"one-hot\"")]
    [InlineData("no classes", "classes", "'classes'")]
    [InlineData("classes zero", "classes", "K ≥ 1")]
    public void A_malformed_conditional_file_names_the_key_at_fault(string fault, string where, string what)
    {
        var root = JsonNode.Parse(File.ReadAllText(TestPaths.ZooReference))!;
        switch (fault)
        {
            case "label out of range": root["inputs"]!["y"]![1] = 3; break;
            case "label not whole": root["inputs"]!["yz"]![0] = 0.5; break;
            case "unknown label input": root["nets"]!["Dy"]!["label_input"] = "embedding"; break;
            case "no classes": root.AsObject().Remove("classes"); break;
            case "classes zero": root["classes"] = 0; break;
        }
        using var file = new TempJson(root);
        var e = Assert.Throws<GoldenFormatException>(() => GoldenFile.Load(file.Path));
        Assert.Contains(where, e.Message);
        Assert.Contains(what, e.Message);
    }

    [Fact]
    public void A_file_without_labels_still_reads_and_has_none()
    {
        var file = GoldenFile.Load(Path.Combine(TestPaths.GoldenFolder, "core.json"));
        Assert.Equal(0, file.ClassCount);
        Assert.Empty(file.Labels);
        Assert.Empty(file.LabelledNets);
    }

    // ------------------------------------------------------------------ verification of hand-written conditional losses

    [Fact]
    public void Hand_written_cgan_and_tac_gan_match_the_zoo_reference()
    {
        using var file = Subset("cgan", "tac-gan");
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        var exit = GoldenVerifier.Run(file.Path, stdout, stderr, HandWritten.Registry);
        Assert.True(exit == 0, stdout.ToString() + stderr);

        var checks = GoldenVerifier.Verify(GoldenFile.Load(file.Path), HandWritten.Registry);
        foreach (var name in new[] { "cgan", "tac-gan" })
            foreach (var quantity in new[] { "d_loss", "g_loss", "grad_d 0.weight", "grad_d 1.bias", "grad_g 0.weight", "grad_g 1.bias", "grad_d on G" })
                Assert.Contains(checks, c => c.Loss == name && c.Quantity.StartsWith(quantity, StringComparison.Ordinal) && c.Passed);
    }

    [Theory]
    [InlineData("tac-gan", "d_loss")]
    [InlineData("tac-gan", "twin head bias")]   // the gradient of Qmi's first logit's bias: the second head is compared
    [InlineData("tac-gan", "lambda")]           // λ = 0.5 in the file; the default 1 gives other values
    [InlineData("cgan", "labels")]              // another real label: D(x, y) must read y
    public void A_changed_value_fails(string loss, string change)
    {
        using var file = Subset(loss, edit: (root, entry) =>
        {
            switch (change)
            {
                case "d_loss": entry["d_loss"] = entry["d_loss"]!.GetValue<double>() * (1 + 1e-7); break;
                case "twin head bias":
                    var b = entry["grad_d"]!["layers"]![1]!["b"]!.AsArray();
                    b[1 + 3] = b[1 + 3]!.GetValue<double>() * (1 + 1e-7);
                    break;
                case "lambda": entry["coefficients"]!.AsObject().Remove("lambda"); break;
                case "labels": root["inputs"]!["y"]![0] = (root["inputs"]!["y"]![0]!.GetValue<int>() + 1) % 3; break;
            }
        });
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        Assert.Equal(1, GoldenVerifier.Run(file.Path, stdout, stderr, HandWritten.Registry));
        Assert.Contains("FAIL", stdout.ToString());
        Assert.Contains(loss, stderr.ToString());
    }

    [Fact]
    public void A_label_taking_network_played_by_a_net_without_labels_is_a_clear_failure()
    {
        using var file = Subset("cgan", edit: (_, entry) => entry["critic"] = "D");
        var check = Assert.Single(GoldenVerifier.Verify(GoldenFile.Load(file.Path), HandWritten.Registry), c => !c.Passed);
        Assert.Contains("calls D with labels", check.Note);
        Assert.Contains("'D' takes none", check.Note);
    }

    [Fact]
    public void A_conditional_loss_on_a_file_without_labels_is_a_clear_failure()
    {
        using var file = Subset("cgan", edit: (root, _) => root["inputs"]!.AsObject().Remove("yz"));
        var check = Assert.Single(GoldenVerifier.Verify(GoldenFile.Load(file.Path), HandWritten.Registry));
        Assert.False(check.Passed);
        Assert.Contains("reads class labels", check.Note);
        Assert.Contains("inputs.yz", check.Note);
    }

    [Theory]
    [InlineData("cgan")]
    [InlineData("tac-gan")]
    public void The_gradient_checker_conditions_the_networks_and_passes(string name)
    {
        var loss = HandWritten.Registry.Create(name);
        var report = GradientChecker.Check(loss);
        var table = new StringWriter();
        report.Print(table);
        Assert.True(report.Passed, table.ToString());
        // Both steps compared every trained network's parameters: D's (with its heads) in the critic step, G's in the generator step.
        Assert.Contains(report.Rows, r => r.Step == "critic" && r.Network == "D" && r.Check == "gradient");
        Assert.Contains(report.Rows, r => r.Step == "generator" && r.Network == "G" && r.Check == "gradient");
        var dOutputs = name == "tac-gan" ? 1 + 2 * 3 : 1;
        Assert.Contains(report.Rows, r => r.Network == "D" && r.Parameter.EndsWith("2.bias", StringComparison.Ordinal) && r.Index == $"[{dOutputs - 1}]");
    }

    // ------------------------------------------------------------------ helpers

    /// <summary>zoo.json with only the named entries (and an optional edit of the file and of the first entry).</summary>
    private static TempJson Subset(string first, string? second = null, Action<JsonNode, JsonNode>? edit = null)
    {
        var root = JsonNode.Parse(File.ReadAllText(TestPaths.ZooReference))!;
        var losses = root["losses"]!.AsObject();
        var kept = new[] { first, second }.OfType<string>().ToDictionary(n => n, n => losses[n]!.DeepClone());
        losses.Clear();
        foreach (var (name, entry) in kept) losses[name] = entry;
        edit?.Invoke(root, losses[first]!);
        return new TempJson(root);
    }

    private sealed class TempJson : IDisposable
    {
        public TempJson(JsonNode root)
        {
            Path = System.IO.Path.Combine(System.IO.Path.GetTempPath(), $"cond-golden-{Guid.NewGuid():N}.json");
            File.WriteAllText(Path, root.ToJsonString());
        }

        public string Path { get; }

        public void Dispose() => File.Delete(Path);
    }
}

/// <summary>
/// cgan and tac-gan written by hand in TorchSharp from their papers (Mirza &amp; Osindero 2014; Gong et al. 2019), in the
/// DSL's conventions (labels from <see cref="StepContext.RealLabels"/>/<see cref="StepContext.NoiseLabels"/>, D's class
/// heads after its score). Registered in a dynamic assembly, so the test assembly itself registers no loss.
/// </summary>
internal static class HandWritten
{
    public static LossRegistry Registry { get; } = CreateRegistry();

    private static LossRegistry CreateRegistry()
    {
        var assembly = AssemblyBuilder.DefineDynamicAssembly(new("HandWrittenConditionalLosses"), AssemblyBuilderAccess.Run);
        var register = typeof(GeneratedGanLossAttribute).GetConstructor([typeof(string), typeof(Type)])!;
        assembly.SetCustomAttribute(new CustomAttributeBuilder(register, ["cgan", typeof(Cgan)]));
        assembly.SetCustomAttribute(new CustomAttributeBuilder(register, ["tac-gan", typeof(TacGan)]));
        return new LossRegistry(assembly);
    }

    private static LossInfo Info(string name, Type type, int heads, params HyperInfo[] hyper) => new(
        name, type.FullName!, "hand-written", "critic", "generator",
        [new NetworkInfo("D", NetworkRole.Critic, NetworkOutput.Score, TakesLabels: heads == 0, ClassHeads: heads),
         new NetworkInfo("G", NetworkRole.Generator, NetworkOutput.Sample, TakesLabels: true)],
        hyper, [], 1, [], OptimizerDefaults.Standard, false)
    {
        UsesLabels = true,
        ClassHeads = [.. Enumerable.Range(0, heads).Select(i => new ClassHeadInfo(i == 0 ? "Q" : "Qmi", "D", i))],
    };

    private static StepResult Minimise(Tensor loss)
    {
        loss.backward();
        return new StepResult(loss);
    }

    private static Tensor Fake(StepContext c, bool constant)
    {
        using var _ = constant ? torch.no_grad() : null;
        return c.ConditionalNetwork("G").call(c.Noise, c.NoiseLabels!);
    }

    private static Tensor Ce(Tensor logits, Tensor labels) => F.cross_entropy(logits, labels);

    /// <summary>d = E softplus(-D(x, y)) + E softplus(D(G(z, yz), yz)); g = E softplus(-D(G(z, yz), yz)).</summary>
    public sealed class Cgan : IGanLoss
    {
        public LossInfo Info { get; } = Info("cgan", typeof(Cgan), 0);
        public Hyperparameters Hyper { get; } = new("cgan", []);
        public LossState State { get; } = new([]);

        public StepResult DiscriminatorStep(StepContext c)
        {
            var d = c.ConditionalNetwork("D");
            return Minimise(F.softplus(-d.call(c.Real, c.RealLabels!)).mean() + F.softplus(d.call(Fake(c, true), c.NoiseLabels!)).mean());
        }

        public StepResult GeneratorStep(StepContext c)
        {
            using var frozen = c.Freeze("D");
            return Minimise(F.softplus(-c.ConditionalNetwork("D").call(Fake(c, false), c.NoiseLabels!)).mean());
        }
    }

    /// <summary>
    /// d = E softplus(-s(x)) + E softplus(s(Gz)) + λ(CE(Q(x), y) + CE(Qmi(Gz), yz)) (Q on real samples only, as the authors' code);
    /// g = E softplus(-s(Gz)) + λ(CE(Q(Gz), yz) - CE(Qmi(Gz), yz)); D's output [B, 1 + 2K] = score, Q, Qmi.
    /// </summary>
    public sealed class TacGan : IGanLoss
    {
        public LossInfo Info { get; } = Info("tac-gan", typeof(TacGan), 2, new HyperInfo("Lambda", 1, null));
        public Hyperparameters Hyper { get; } = new("tac-gan", [new HyperInfo("Lambda", 1, null)]);
        public LossState State { get; } = new([]);

        private static (Tensor Score, Tensor Q, Tensor Qmi) Heads(Tensor output, int k) =>
            (output.select(1, 0), output.narrow(1, 1, k), output.narrow(1, 1 + k, k));

        public StepResult DiscriminatorStep(StepContext c)
        {
            var d = c.Network("D");
            var (sx, qx, _) = Heads(d.call(c.Real), c.ClassCount);
            var (sf, _, mf) = Heads(d.call(Fake(c, true)), c.ClassCount);
            return Minimise(F.softplus(-sx).mean() + F.softplus(sf).mean() + Hyper["Lambda"] * (Ce(qx, c.RealLabels!) + Ce(mf, c.NoiseLabels!)));
        }

        public StepResult GeneratorStep(StepContext c)
        {
            using var frozen = c.Freeze("D");
            var (sf, qf, mf) = Heads(c.Network("D").call(Fake(c, false)), c.ClassCount);
            return Minimise(F.softplus(-sf).mean() + Hyper["Lambda"] * (Ce(qf, c.NoiseLabels!) - Ce(mf, c.NoiseLabels!)));
        }
    }
}
