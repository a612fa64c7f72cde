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

    [Fact]
    public void NamedParamsArgument_IsKept() =>
        Assert.Equal("Mmd2(x, G(z), 3)", Parsed("[GeneratorLoss] static Loss Gl => Mmd2(x, G(z), sigmas: 3);").Generator);

    [Fact]
    public void ExtensionMethodMacro_InlinesItsReceiver() =>
        Assert.Equal("Mean(Square(D(G(z)) - 1))", Parsed("[DiscriminatorLoss] static Loss Dl => Mean(D(x)) - Mean(D(G(z))); [GeneratorLoss] static Loss Gl => Mean((D(G(z)) - 1).Sq());",
            "public static class Ext { public static Expr Sq(this Expr v) => Square(v); }\n").Generator);
}

