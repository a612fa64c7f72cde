using System.Diagnostics;
using System.Text.Json;
using GanDsl.Interop;
using GanDsl.Models;
using GanDsl.Training;
using TorchSharp;
using static GanDsl.Tests.Cli.CliRunner;

namespace GanDsl.Tests.Cli;

/// <summary>A test that needs Debian's python3-torch (PyTorch 1.13 under /usr/bin/python3); build/test.sh installs it when missing.</summary>
public sealed class PythonTorchFactAttribute : FactAttribute
{
    public const string Python = "/usr/bin/python3";

    public PythonTorchFactAttribute()
    {
        if (!Available.Value) Skip = $"{Python} cannot import torch: apt-get install python3-torch (build/test.sh does when it runs as root)";
    }

    private static readonly Lazy<bool> Available = new(() =>
    {
        if (!File.Exists(Python)) return false;
        try
        {
            using var p = Process.Start(new ProcessStartInfo(Python, ["-c", "import torch, numpy"]) { RedirectStandardError = true, RedirectStandardOutput = true })!;
            p.WaitForExit(120_000);
            return p.HasExited && p.ExitCode == 0;
        }
        catch (System.ComponentModel.Win32Exception) { return false; }
    });
}

/// <summary>
/// <c>gan export</c> and <c>gan train --init-from</c> against real PyTorch: the exported files load with
/// <c>load_state_dict(strict=True)</c> into the same architecture written in PyTorch and give the same outputs, and
/// PyTorch-saved weights load into a GanDsl network (tests/reference/interop/pytorch_weights.py).
/// </summary>
public sealed class PyTorchInteropTests : TempFolderTests
{
    private static readonly string Script = FindScript();

    private static string FindScript()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (Path.Combine(dir.FullName, "tests", "reference", "interop", "pytorch_weights.py") is var p && File.Exists(p)) return p;
        return "tests/reference/interop/pytorch_weights.py (not found)";
    }

    private static JsonElement Python(string mode, string folder = "")
    {
        var info = new ProcessStartInfo(PythonTorchFactAttribute.Python, [Script, mode, folder]) { RedirectStandardOutput = true, RedirectStandardError = true };
        using var p = Process.Start(info)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        Assert.True(p.WaitForExit(300_000), "python did not finish in 5 minutes");
        Assert.True(p.ExitCode == 0, $"python {mode} failed: {stderr.Result}");
        using var doc = JsonDocument.Parse(stdout.Result);
        return doc.RootElement.Clone();
    }

    /// <summary>The fixed input of the script: torch.linspace(-2, 2, 16).reshape(8, 2).</summary>
    private static float[] Outputs(torch.nn.Module<torch.Tensor, torch.Tensor> network)
    {
        using var x = torch.linspace(-2, 2, 16).reshape(8, 2);
        using var noGrad = torch.no_grad();
        network.eval();
        using var y = network.call(x);
        return y.reshape(-1).data<float>().ToArray();
    }

    private static void AssertClose(JsonElement expected, float[] actual, string what)
    {
        var e = expected.EnumerateArray().Select(v => v.GetDouble()).ToArray();
        Assert.Equal(e.Length, actual.Length);
        for (var i = 0; i < e.Length; i++)
            Assert.True(Math.Abs(e[i] - actual[i]) <= 1e-5 * (1 + Math.Abs(e[i])), $"{what}[{i}]: PyTorch {e[i]:R}, GanDsl {actual[i]:R}");
    }

    private static torch.nn.Module<torch.Tensor, torch.Tensor> Network(LoadedCheckpoint checkpoint, string name)
    {
        var meta = checkpoint.Metadata;
        var n = meta.Networks.Single(x => x.Name == name);
        var module = new MlpFamily().Build(new NetworkInfo(n.Name, n.Role, n.Output), meta.SampleShape);
        checkpoint.LoadInto(module, $"net.{name}.");
        return module;
    }

    [PythonTorchFact]
    public void Exported_pt_and_safetensors_load_strictly_in_pytorch_and_give_the_same_outputs()
    {
        var run = TempDir("export-run");
        var o = Train(run, "--loss", "nonsaturating", "--data", "ring", "--steps", "3", "--batch", "32", "--samples", "20", "--sample-every", "0");
        Assert.True(o.ExitCode == 0, o.Stderr);
        var exported = TempDir("exported");
        var checkpointPath = Path.Combine(run, "checkpoint.bin");
        foreach (var format in new[] { "pt", "safetensors" })
        {
            var e = Run("export", "--checkpoint", checkpointPath, "--format", format, "--out", exported);
            Assert.True(e.ExitCode == 0, e.Stderr);
            Assert.Contains($"G.{format}", e.Stdout);
        }

        var python = Python("check", exported);
        var checkpoint = CheckpointFile.Load(checkpointPath);
        foreach (var name in new[] { "G", "D" })
        {
            using var trained = Network(checkpoint, name);
            var expected = Outputs(trained);
            AssertClose(python.GetProperty("pt").GetProperty(name), expected, $"{name}.pt");
            AssertClose(python.GetProperty("safetensors").GetProperty(name), expected, $"{name}.safetensors");

            // .NET round trip through both files: the same weights come back.
            foreach (var ext in new[] { ".pt", ".safetensors" })
            {
                using var fresh = Network(checkpoint, name);
                torch.nn.init.zeros_(fresh.parameters().First());
                PyTorchWeights.Load(fresh, Path.Combine(exported, name + ext));
                Assert.Equal(expected, Outputs(fresh));
            }
        }
    }

    [PythonTorchFact]
    public void Pytorch_saved_weights_start_a_run_through_init_from()
    {
        var weights = TempDir("torch-weights");
        var python = Python("make", weights);
        var run = TempDir("init-run");
        var o = Train(run, "--loss", "nonsaturating", "--data", "ring", "--steps", "0", "--samples", "10", "--sample-every", "0", "--init-from", weights);
        Assert.True(o.ExitCode == 0, o.Stderr);
        var checkpoint = CheckpointFile.Load(Path.Combine(run, "checkpoint.bin"));
        foreach (var name in new[] { "G", "D" })
        {
            using var imported = Network(checkpoint, name);
            AssertClose(python.GetProperty(name), Outputs(imported), $"{name} imported");
        }
    }

    [PythonTorchFact]
    public void Built_in_families_have_the_state_dict_keys_and_shapes_of_the_same_networks_in_pytorch()
    {
        var python = Python("keys");
        foreach (var (family, sampleShape) in new (IModelFamily, long[])[] { (new MlpFamily(), [2]), (new Dcgan28Family(), [1, 28, 28]) })
            foreach (var (name, role) in new[] { ("G", NetworkRole.Generator), ("D", NetworkRole.Critic) })
            {
                using var module = family.Build(new NetworkInfo(name, role, role == NetworkRole.Generator ? NetworkOutput.Sample : NetworkOutput.Score), sampleShape);
                var ours = module.state_dict().ToDictionary(e => e.Key, e => string.Join(",", e.Value.shape));
                var theirs = python.GetProperty($"{family.Name}.{name}").EnumerateObject()
                    .ToDictionary(p => p.Name, p => string.Join(",", p.Value.EnumerateArray().Select(d => d.GetInt64())));
                Assert.Equal(theirs.OrderBy(e => e.Key, StringComparer.Ordinal), ours.OrderBy(e => e.Key, StringComparer.Ordinal));
            }
    }

    [Fact]
    public void A_weight_file_of_another_architecture_is_refused_naming_the_keys()
    {
        var folder = TempDir("bad-weights");
        using (var other = torch.nn.Sequential(torch.nn.Linear(2, 7), torch.nn.ReLU(), torch.nn.Linear(7, 2)))
            PyTorchWeights.Save(other, Path.Combine(folder, "G.pt"));
        var run = Path.Combine(TempDir("init-bad"), "run");
        var o = Train(run, "--loss", "nonsaturating", "--data", "ring", "--steps", "0", "--init-from", folder);
        Assert.Equal(2, o.ExitCode);
        Assert.Contains("G.pt", o.Stderr);
        Assert.Contains("'0.weight' has shape [7, 2] in the file but [512, 2] in the model", o.Stderr);
        Assert.Contains("missing from the file: 4.weight", o.Stderr);
    }
}
