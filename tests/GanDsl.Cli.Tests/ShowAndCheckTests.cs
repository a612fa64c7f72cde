using System.Diagnostics;
using GanDsl.Cli.Commands;
using static GanDsl.Tests.Cli.CliRunner;

namespace GanDsl.Tests.Cli;

/// <summary>
/// <c>gan show</c> (formulas from the generated LossInfo.Formula; docs/losses.md and docs/losses.tex are its output and
/// must be current; the LaTeX compiles) and <c>gan check</c> (gradients against finite differences; exit 1 on a wrong one).
/// </summary>
public class ShowAndCheckTests : TempFolderTests
{
    private static readonly string RepoRoot = FindRepoRoot();

    [Fact]
    public void Docs_losses_md_and_tex_hold_the_generated_formulas_of_every_zoo_loss()
    {
        var doc = Path.Combine(RepoRoot, "docs", "losses.md");
        var o = Run("show", "--doc", doc, "--check");
        Assert.True(o.ExitCode == 0, $"docs/losses.md or docs/losses.tex is out of date; rerun: dotnet run -c Release --project src/Cli -- show --doc docs/losses.md\n{o.Stderr}");

        // Every zoo loss has its own section and block (a missing one would have been appended, failing the check above).
        var text = File.ReadAllText(doc);
        foreach (var name in GanDsl.Losses.Zoo.CreateRegistry().Names)
            Assert.Contains(LossFormulas.BlockStart + name + " -->", text);
    }

    [Fact]
    public async Task Losses_tex_compiles_with_pdflatex()
    {
        var dir = TempDir("latex");
        File.Copy(Path.Combine(RepoRoot, "docs", "losses.tex"), Path.Combine(dir, "losses.tex"));
        var start = new ProcessStartInfo("pdflatex", ["-interaction=nonstopmode", "-halt-on-error", "losses.tex"])
        {
            WorkingDirectory = dir, RedirectStandardOutput = true, RedirectStandardError = true,
        };
        Process process;
        try
        {
            process = Process.Start(start)!;
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            Assert.Fail($"pdflatex is not installed ({e.Message}): apt-get install texlive-latex-base (build/test.sh installs it).");
            return;
        }
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        var errors = process.StandardError.ReadToEndAsync(timeout.Token);
        var output = await process.StandardOutput.ReadToEndAsync(timeout.Token);
        await errors;
        await process.WaitForExitAsync(timeout.Token);
        Assert.True(process.ExitCode == 0, output[^Math.Min(3000, output.Length)..]);
        Assert.True(new FileInfo(Path.Combine(dir, "losses.pdf")).Length > 10_000);
    }

    [Fact]
    public void Show_prints_players_losses_named_terms_points_and_hyperparameters()
    {
        var o = Run("show", "wgan-gp");
        Assert.Equal(0, o.ExitCode);
        Assert.Contains("L_D = 𝔼[D(G(z))] − 𝔼[D(x)] + λ·Gp", o.Stdout);
        Assert.Contains("Gp = 𝔼[(‖∇_x̂ D(x̂)‖ − 1)²]", o.Stdout);
        Assert.Contains("x̂ = ε·x + (1 − ε)·G(z),  ε ∼ U[0, 1) per sample", o.Stdout);
        Assert.Contains("L_G = −𝔼[D(G(z))]", o.Stdout);
        Assert.Contains("- λ = 10 (`Lambda`)", o.Stdout);

        var began = Run("show", "began").Stdout;
        Assert.Contains("k ← clamp(k + λₖ·(γ·L(x) − L(G(z))), 0, 1)", began);   // state update, hyperparameters as symbols
        Assert.Contains("M = L(x) + |γ·L(x) − L(G(z))|", began);                // monitor

        var latex = Run("show", "--latex", "wgan-gp");
        Assert.Equal(0, latex.ExitCode);
        Assert.Contains(@"L_{D} &= \mathbb{E}\left[D(G(z))\right] - \mathbb{E}\left[D(x)\right] + \lambda \cdot \mathrm{Gp}", latex.Stdout);
        Assert.DoesNotContain(@"\documentclass", latex.Stdout);
        Assert.StartsWith(@"\documentclass", Run("show", "--latex", "--document", "wgan").Stdout);
    }

    [Fact]
    public void Show_doc_rewrites_stale_blocks_appends_missing_losses_and_check_changes_nothing()
    {
        var dir = TempDir("doc");
        var doc = Path.Combine(dir, "losses.md");
        File.WriteAllText(doc, "# Mine\n\nProse.\n\n<!-- gan show wgan -->\nold formula\n<!-- end gan show -->\n\nMore prose.\n");

        var check = Run("show", "--doc", doc, "--check", "wgan", "hinge");
        Assert.Equal(1, check.ExitCode);
        Assert.Contains("out of date", check.Stderr);
        Assert.Contains("old formula", File.ReadAllText(doc));
        Assert.False(File.Exists(Path.ChangeExtension(doc, ".tex")));

        Assert.Equal(0, Run("show", "--doc", doc, "wgan", "hinge").ExitCode);
        var text = File.ReadAllText(doc);
        Assert.DoesNotContain("old formula", text);
        Assert.Contains("L_D = 𝔼[D(G(z))] − 𝔼[D(x)]", text);
        Assert.StartsWith("# Mine\n\nProse.\n", text);
        Assert.Contains("More prose.", text);
        Assert.Contains("\n### `hinge`\n\nHinge loss (Lim & Ye 2017", text);                      // appended with its summary
        Assert.Contains(LossFormulas.BlockStart + "hinge -->", text);
        Assert.Contains(@"\section*{hinge}", File.ReadAllText(Path.ChangeExtension(doc, ".tex")));
        Assert.Equal(0, Run("show", "--doc", doc, "--check", "wgan", "hinge").ExitCode);
    }

    [Fact]
    public void Show_of_a_hand_written_loss_says_it_has_no_formula_and_bad_names_are_usage_errors()
    {
        var o = Run("show", "test-nonsaturating", "--assembly", TestAssembly);
        Assert.Equal(0, o.ExitCode);
        Assert.Contains("No formula", o.Stdout);

        var bad = Run("show", "wgan-gq");
        Assert.Equal(2, bad.ExitCode);
        Assert.Contains("no loss named 'wgan-gq'", bad.Stderr);
    }

    [Fact]
    public void Check_passes_for_zoo_and_user_losses_and_fails_with_exit_1_on_a_wrong_gradient()
    {
        var o = Run("check", "wgan-gp", "test-nonsaturating", "--assembly", TestAssembly);
        Assert.True(o.ExitCode == 0, o.Stdout + o.Stderr);
        Assert.Contains("analytic", o.Stdout);
        Assert.Contains("wgan-gp: 59 gradient elements, 26 double-backward elements", o.Stdout);
        Assert.Contains("test-nonsaturating: ", o.Stdout);
        Assert.DoesNotContain("FAIL", o.Stdout);

        // Its critic step adds a huge term to what it differentiates but not to the loss it reports.
        var wrong = Run("check", "test-huge-gradient", "--assembly", TestAssembly);
        Assert.Equal(1, wrong.ExitCode);
        Assert.Matches(@"test-huge-gradient +critic +gradient +D ", wrong.Stdout);
        Assert.Contains("check failed for test-huge-gradient", wrong.Stderr);

        Assert.Equal(2, Run("check", "no-such-loss").ExitCode);
    }

    private static string FindRepoRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "GanDsl.sln"))) return dir.FullName;
        throw new InvalidOperationException($"No GanDsl.sln above {AppContext.BaseDirectory}.");
    }
}
