using GanDsl.Generator.Ir;
using GanDsl.Generator.Passes;
using GanDsl.Testing;

namespace GanDsl.Generator.Tests;

/// <summary>The DSL means what C# means: the spec the parser builds, printed back.</summary>
public sealed class CSharpSemanticsTests
{
    private const string GLoss = "[GeneratorLoss] static Loss Gl => Mean(Softplus(-D(G(z))));";

    /// <summary>The discriminator and generator expressions of the parsed spec (before optimisation).</summary>
    private static (string? Discriminator, string Generator) Parsed(string members, string before = "")
    {
        var run = TestSupport.RunAndCheck(TestSupport.Prelude + before + "[GanLoss(\"t\")] public partial class T { " + members + " }");
        Assert.Empty(run.Diagnostics);
        var spec = (LossClassSpec)run.Result.Results[0].TrackedSteps[GanLossGenerator.Steps.Spec].Single().Outputs.Single().Value;
        return (spec.Discriminator is null ? null : Printer.Print(spec.Discriminator.Expression), Printer.Print(spec.Generator.Expression));
    }

    [Fact]
    public void IntegerDivision_IsZero_AsInCSharp() =>
        Assert.Equal("0 * Mean(D(x)) - Mean(D(G(z)))", Parsed("[DiscriminatorLoss] static Loss Dl => 1 / 2 * Mean(D(x)) - Mean(D(G(z))); " + GLoss).Discriminator);

    [Fact]
    public void CastToInt_Truncates_AsInCSharp() =>
        Assert.Equal("2 * Mean(D(x)) - Mean(D(G(z)))", Parsed("[DiscriminatorLoss] static Loss Dl => (int)2.5 * Mean(D(x)) - Mean(D(G(z))); " + GLoss).Discriminator);

    /// <summary>A class-local macro named like a word is what C# calls there: the user's own word, not GAN0013 (issue 22).</summary>
    [Fact]
    public void MacroMethodNamedLikeAWord_IsTheUsersOwn_AsCSharpResolvesIt()
    {
        var run = TestSupport.RunAndCheck(TestSupport.Prelude + "[GanLoss(\"t\")] public partial class T { static Expr Mean(Expr v) => Vocabulary.Sum(v) * 0.5; "
            + "[DiscriminatorLoss] static Loss Dl => Mean(D(x)) - Mean(D(G(z))); " + GLoss + " }");
        Assert.Empty(run.Diagnostics);
        var spec = (LossClassSpec)run.Result.Results[0].TrackedSteps[GanLossGenerator.Steps.Spec].Single().Outputs.Single().Value;
        var named = Analysis.Subtree(spec.Discriminator!.Expression).OfType<NamedNode>().Single(n => n.Name == "Mean(D(x))");
        Assert.Equal("Sum(D(x)) * 0.5", Printer.Print(named.Body));
        // The generator loss's Mean is the same macro: no tensor mean is taken anywhere.
        Assert.DoesNotContain(".mean()", run.Files.Values.Single());
    }

    [Fact]
    public void NamedParamsArgument_IsKept() =>
        Assert.Equal("Mmd2(x, G(z), 3)", Parsed("[GeneratorLoss] static Loss Gl => Mmd2(x, G(z), sigmas: 3);").Generator);

    [Fact]
    public void ExtensionMethodMacro_InlinesItsReceiver() =>
        Assert.Equal("Mean(Square(D(G(z)) - 1))", Parsed("[DiscriminatorLoss] static Loss Dl => Mean(D(x)) - Mean(D(G(z))); [GeneratorLoss] static Loss Gl => Mean((D(G(z)) - 1).Sq());",
            "public static class Ext { public static Expr Sq(this Expr v) => Square(v); }\n").Generator);
}

