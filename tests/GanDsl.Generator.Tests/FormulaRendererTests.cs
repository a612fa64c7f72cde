using System.Text.RegularExpressions;

namespace GanDsl.Generator.Tests;

/// <summary>
/// The formula the generator renders into <c>LossInfo.Formula</c> (what <c>gan show</c> prints); the zoo's formulas are
/// compared with docs/losses.md by the CLI tests and appear in the snapshots. These cover what the zoo does not use.
/// </summary>
public class FormulaRendererTests
{
    private static (string Text, string Latex) Render(string members)
    {
        var run = TestSupport.RunAndCheck(TestSupport.Prelude + "[GanLoss(\"t\")] public partial class T { " + members + " }");
        var code = run.Files.Single().Value;
        var start = code.IndexOf("Formula: new global::GanDsl.LossFormula(", StringComparison.Ordinal);
        Assert.True(start >= 0, code);
        // The two arguments, each a concatenation of one literal per line: evaluate the literals.
        var literals = Regex.Matches(code[start..(code.IndexOf("\"));", start, StringComparison.Ordinal) + 1)], "\"((?:[^\"\\\\]|\\\\.)*)\"( \\+|,)?");
        var text = new System.Text.StringBuilder();
        var parts = new List<string>();
        foreach (Match m in literals)
        {
            text.Append(Regex.Unescape(m.Groups[1].Value));
            if (m.Groups[2].Value != " +") { parts.Add(text.ToString()); text.Clear(); }
        }
        Assert.Equal(2, parts.Count);
        return (parts[0], parts[1]);
    }

    [Fact]
    public void Two_penalty_points_greek_and_plain_hyperparameters_powers_and_small_constants()
    {
        var (text, latex) = Render("""
            [Hyper] const double Beta2 = 0.5;
            [Hyper] const double Pixel = 2;
            static Expr P1 => GradientPenalty(Between(x, G(z)));
            static Expr P2 => GradientPenalty(Between(G(z), x));
            [DiscriminatorLoss] static Loss Dl => Beta2 * P1 + Pixel * P2 + Sqrt(Pow(Mean(D(x)), 3)) / 1e-7;
            [GeneratorLoss] static Loss Gl => -Mean(D(G(z)));
            """);

        Assert.Contains("    L_D = β₂·P1 + Pixel·P2 + √(𝔼[D(x)]^3) / 10^-7\n", text);
        Assert.Contains("    x̂ = ε·x + (1 − ε)·G(z),  ε ∼ U[0, 1) per sample\n", text);
        Assert.Contains("    x̂₂ = ε₂·G(z) + (1 − ε₂)·x,  ε₂ ∼ U[0, 1) per sample\n", text);
        Assert.Contains("    P2 = 𝔼[(‖∇_x̂₂ D(x̂₂)‖ − 1)²]\n", text);
        Assert.Contains("- β₂ = 0.5 (`Beta2`)\n", text);
        Assert.Contains("- Pixel = 2 (`Pixel`)\n", text);

        Assert.Contains(@"\beta_{2} \cdot \mathrm{P1} + \mathrm{Pixel} \cdot \mathrm{P2} + \frac{\sqrt{{\mathbb{E}\left[D(x)\right]}^{3}}}{10^{-7}}", latex);
        Assert.Contains(@"\hat{x}_{2} &= \epsilon_{2} \cdot G(z) + \left(1 - \epsilon_{2}\right) \cdot x", latex);
        Assert.DoesNotContain("𝔼", latex);   // LaTeX is ASCII commands only
    }

    [Fact]
    public void Kernel_widths_draws_and_a_macro_applied_twice_get_their_own_symbols()
    {
        var (text, _) = Render("""
            [Network(NetworkRole.Critic, NetworkOutput.Features)] private static partial Expr F(Expr v);
            static Expr Pen(Expr at) => Mean(Square(Norm(Grad(D(at), at))));
            [DiscriminatorLoss] static Loss Dl => -Mmd2(F(x), F(G(z)), 1, 4) + Pen(x + UniformPerSample(x) * UniformLike(x)) + Pen(G(z)) + Mean(D(x));
            [GeneratorLoss] static Loss Gl => Mmd2(F(x), F(G(z)), 1, 4) - Mean(D(G(z)));
            """);

        Assert.Contains("−MMD²(F(x), F(G(z)); σ ∈ {1, 4})", text);
        Assert.Contains("    x̂ = x + α·u\n", text);
        Assert.Contains("    α ∼ U[0, 1), one per sample of x\n", text);
        Assert.Contains("    u ∼ U[0, 1), one per element of x\n", text);
        Assert.Contains("Pen(G(z)) = 𝔼[‖∇_G(z) D(G(z))‖²]", text);
        Assert.Contains("Discriminator, minimised over D, F:", text);
        Assert.Contains("    L_G = MMD²(F(x), F(G(z)); σ ∈ {1, 4}) − 𝔼[D(G(z))]\n", text);   // no symbol leaks into the other player's loss
    }
}
