using System.Text.RegularExpressions;
using GanDsl.Models;
using GanDsl.Training;

namespace GanDsl.Losses.Tests;

/// <summary>
/// The runtime as a library: every argument of TrainOptions, LossRegistry and Hyperparameters checked with its name,
/// and the runtime's messages in the API's words (TrainOptions properties), never the command line's flags.
/// </summary>
public sealed class OptionValidationTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("gandsl-options-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private TrainOptions Options => new() { Loss = "nonsaturating", Data = "ring", Steps = 1, OutputDirectory = _dir, SampleEvery = 0, FinalSampleCount = 0 };

    private string SetupError(TrainOptions options) =>
        Assert.Throws<TrainingSetupException>(() => Trainer.Create(options, Zoo.CreateRegistry()).Dispose()).Message;

    [Fact]
    public void Options_are_checked_with_their_names()
    {
        Assert.StartsWith("TrainOptions.BatchSize 2147483647: a batch of 2147483647 samples", SetupError(Options with { BatchSize = int.MaxValue }));
        Assert.Equal("TrainOptions.Hyperparameters must not be null (an empty dictionary for none).", SetupError(Options with { Hyperparameters = null! }));
        Assert.StartsWith("TrainOptions.Model is required", SetupError(Options with { Model = null! }));
        Assert.StartsWith("TrainOptions.Loss is required", SetupError(Options with { Loss = null! }));
        Assert.StartsWith("TrainOptions.Device: '' is not a device", SetupError(Options with { Device = null! }));
        Assert.StartsWith("TrainOptions.LearningRateD must be a positive number", SetupError(Options with { LearningRateD = double.NaN }));
    }

    [Fact]
    public void Registries_and_hyperparameters_check_their_arguments()
    {
        Assert.Equal("assemblies", Assert.Throws<ArgumentNullException>(() => new LossRegistry(null!)).ParamName);
        Assert.Equal("assemblies", Assert.Throws<ArgumentNullException>(() => new LossRegistry([null!])).ParamName);
        Assert.Equal("declared", Assert.Throws<ArgumentNullException>(() => new Hyperparameters("x", null!)).ParamName);
        Assert.Contains("declares hyperparameter 'A' twice", Assert.Throws<ArgumentException>(() => new Hyperparameters("x", [new("A", 1, ""), new("A", 2, "")])).Message);
        var hyper = new Hyperparameters("x", [new("A", 1, "")]);
        Assert.Contains("has no hyperparameter ''", Assert.Throws<ArgumentException>(() => hyper.Set(null!, 1)).Message);
    }

    /// <summary>A string literal of the runtime that names a command-line flag (<c>--batch</c>): the CLI's words in the library.</summary>
    [Fact]
    public void No_runtime_message_names_a_command_line_flag()
    {
        var literal = new Regex("\"(?:[^\"\\\\\\n]|\\\\.)*\"");
        var flag = new Regex(@"(?<![\w-])(?<!srun )(?<!mpirun )--[a-z][a-z-]*"); // flags of other programs (srun --mpi=pmix) are fine
        var found = new List<string>();
        foreach (var file in Directory.EnumerateFiles(Path.Combine(TestPaths.RepoRoot, "src", "Runtime"), "*.cs", SearchOption.AllDirectories))
        {
            if (file.Contains($"{Path.DirectorySeparatorChar}obj{Path.DirectorySeparatorChar}", StringComparison.Ordinal)) continue;
            var lines = File.ReadAllLines(file);
            for (var i = 0; i < lines.Length; i++)
            {
                var code = lines[i].TrimStart();
                if (code.StartsWith("//", StringComparison.Ordinal)) continue;
                foreach (Match m in literal.Matches(code))
                    if (flag.Match(m.Value) is { Success: true } f)
                        found.Add($"{Path.GetRelativePath(TestPaths.RepoRoot, file)}:{i + 1}: {f.Value}");
            }
        }
        Assert.True(found.Count == 0, "Runtime messages name CLI flags (name the TrainOptions property or API instead):\n" + string.Join("\n", found));
    }
}
