using TorchSharp;
using GanDsl.Cli;
using static GanDsl.Tests.Cli.CliRunner;

namespace GanDsl.Tests.Cli;

/// <summary>Bad arguments and bad files: one line on stderr, exit code 2, nothing written.</summary>
public class ArgumentTests : TempFolderTests
{
    private static void AssertBadInput(Outcome o, string expectedFragment, string? outDir = null)
    {
        Assert.Equal(ExitCodes.BadInput, o.ExitCode);
        var lines = o.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Single(lines);
        Assert.StartsWith("gan: ", lines[0]);
        Assert.Contains(expectedFragment, lines[0]);
        if (outDir is not null) Assert.False(Directory.Exists(outDir), "no work may start (the output folder must not be created)");
    }

    private static string NewOut() => Path.Combine(TempDir("args"), "run");

    [Fact]
    public void Unknown_loss()
    {
        var dir = NewOut();
        AssertBadInput(Train(dir, "--loss", "no-such-loss", "--data", "ring"), "Unknown loss 'no-such-loss'", dir);
    }

    [Fact]
    public void Negative_steps()
    {
        var dir = NewOut();
        AssertBadInput(Train(dir, "--loss", "test-nonsaturating", "--data", "ring", "--steps", "-5"), "--steps must be 0 or more, not -5", dir);
    }

    [Fact]
    public void Hyperparameter_the_loss_does_not_have()
    {
        var dir = NewOut();
        AssertBadInput(Train(dir, "--loss", "test-stateful", "--data", "ring", "--set", "Lamda=5"), "no hyperparameter 'Lamda'; it has: Lambda, Gain", dir);
    }

    [Fact]
    public void Malformed_set()
    {
        AssertBadInput(Train(NewOut(), "--loss", "test-stateful", "--data", "ring", "--set", "Lambda"), "--set expects NAME=VALUE");
        AssertBadInput(Train(NewOut(), "--loss", "test-stateful", "--data", "ring", "--set", "Lambda=abc"), "--set Lambda must be a number");
    }

    [Fact]
    public void Unknown_model_and_data()
    {
        var dir = NewOut();
        AssertBadInput(Train(dir, "--loss", "test-nonsaturating", "--data", "ring", "--model", "resnet"), "Unknown model 'resnet'", dir);
        AssertBadInput(Train(dir, "--loss", "test-nonsaturating", "--data", "moons"), "Unknown dataset 'moons'", dir);
    }

    [Fact]
    public void Model_that_does_not_fit_the_data()
    {
        var dir = NewOut();
        AssertBadInput(Train(dir, "--loss", "test-nonsaturating", "--data", "ring", "--model", "dcgan28"), "needs 1×28×28 images", dir);
    }

    [Fact]
    public void Unavailable_device()
    {
        var dir = NewOut();
        if (!torch.cuda.is_available())
            AssertBadInput(Train(dir, "--loss", "test-nonsaturating", "--data", "ring", "--device", "cuda"), "CUDA is not available in this libtorch build", dir);
        else
            AssertBadInput(Train(dir, "--loss", "test-nonsaturating", "--data", "ring", "--device", "cuda:99"), "CUDA device", dir);
        AssertBadInput(Train(dir, "--loss", "test-nonsaturating", "--data", "ring", "--device", "tpu"), "is not a device", dir);
    }

    [Fact]
    public void Unknown_option_missing_value_and_bad_numbers()
    {
        AssertBadInput(Train(NewOut(), "--loss", "test-nonsaturating", "--data", "ring", "--stepz", "5"), "Unknown option '--stepz'");
        AssertBadInput(Train(NewOut(), "--loss", "test-nonsaturating", "--data", "ring", "--steps"), "Required argument missing for option: '--steps'");
        AssertBadInput(Train(NewOut(), "--loss", "test-nonsaturating", "--data", "ring", "--batch", "many"), "--batch must be a whole number");
        AssertBadInput(Train(NewOut(), "--loss", "test-nonsaturating", "--data", "ring", "--lr-g", "-1"), "--lr-g must be a positive number");
        AssertBadInput(Train(NewOut(), "--loss", "test-wgan", "--data", "ring", "--betas", "0.5,0.9"), "trains with rmsprop");
        AssertBadInput(Train(NewOut(), "--loss", "test-nonsaturating", "--data", "ring", "--ema", "1.5"), "--ema must be in [0, 1)");
        AssertBadInput(Run("train", "--data", "ring", "--out", NewOut()), "Option '--loss' is required");
        AssertBadInput(Run("frobnicate"), "Unknown command 'frobnicate'");
    }

    [Fact]
    public void Missing_npy_file()
    {
        var dir = NewOut();
        var missing = Path.Combine(TempDir("npy"), "nowhere.npy");
        AssertBadInput(Train(dir, "--loss", "test-nonsaturating", "--data", missing), missing, dir);
    }

    [Fact]
    public void Missing_assembly()
    {
        var missing = Path.Combine(TempDir("asm"), "Losses.dll");
        AssertBadInput(Run("list", "--assembly", missing), "does not exist");
    }

    [Fact]
    public void Resume_without_a_checkpoint()
    {
        var dir = TempDir("resume-none");
        AssertBadInput(Train(dir, "--loss", "test-nonsaturating", "--data", "ring", "--resume"), "there is no checkpoint");
        Assert.Empty(Directory.GetFileSystemEntries(dir));
    }

    [Fact]
    public void Help_and_list()
    {
        var help = Run("--help");
        Assert.Equal(0, help.ExitCode);
        Assert.Contains("gan [command] [options]", help.Stdout);
        Assert.Equal(0, Run("train", "--help").ExitCode);

        var list = Run("list", "--assembly", TestAssembly);
        Assert.Equal(0, list.ExitCode);
        Assert.Contains("test-stateful  test-stateful (test loss)", list.Stdout);
        Assert.Contains("hyperparameters: Lambda=0.1 (penalty weight), Gain=0.01 (state gain)", list.Stdout);
        Assert.Contains("state: k from 0, AfterCriticStep", list.Stdout);
        Assert.Contains("schedule: 5 critic steps per generator step; clip D to [-0.01, 0.01]", list.Stdout);
        Assert.Contains("optimizer: rmsprop lr 5E-05, alpha 0.99", list.Stdout);
        Assert.Contains("generator steps only (no critic)", list.Stdout);
        Assert.Contains("networks: G (generator, sample), D (critic, score)", list.Stdout);
    }
}
