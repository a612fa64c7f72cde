using GanDsl.Testing;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;

namespace GanDsl.Generator.Tests;

/// <summary>
/// The DSL's types as symbols (<see cref="DslSymbols"/>): the parser compares with these, never with names, so each must be
/// the DSL assembly's own type; without the DSL referenced nothing is a DSL type.
/// </summary>
public sealed class DslSymbolsTests
{
    [Fact]
    public void EveryKnownSymbol_IsTheDslAssemblysType_BuiltOncePerCompilation()
    {
        var compilation = GeneratorTestDriver.CreateCompilation(["class C { }"]);
        var symbols = DslSymbols.For(compilation);
        Assert.Same(symbols, DslSymbols.For(compilation));
        var known = new (string Name, INamedTypeSymbol? Symbol)[]
        {
            ("GanLossAttribute", symbols.GanLoss), ("DiscriminatorLossAttribute", symbols.DiscriminatorLoss), ("GeneratorLossAttribute", symbols.GeneratorLoss),
            ("HyperAttribute", symbols.Hyper), ("StateAttribute", symbols.State), ("NetworkAttribute", symbols.Network), ("ClassHeadAttribute", symbols.ClassHead),
            ("CriticStepsAttribute", symbols.CriticSteps), ("SeparateForwardPassesAttribute", symbols.SeparateForwardPasses), ("ClipWeightsAttribute", symbols.ClipWeights),
            ("AdamAttribute", symbols.Adam), ("RMSpropAttribute", symbols.RMSprop), ("MacroAttribute", symbols.Macro),
            ("Vocabulary", symbols.Vocabulary), ("Penalties", symbols.Penalties), ("Expr", symbols.Expr), ("Loss", symbols.Loss),
        };
        foreach (var (name, symbol) in known)
        {
            Assert.NotNull(symbol);
            Assert.True(SymbolEqualityComparer.Default.Equals(compilation.GetTypeByMetadataName("GanDsl." + name), symbol), name);
            Assert.Equal(typeof(GanLossAttribute).Assembly.GetName().Name, symbol!.ContainingAssembly.Name);
        }
        Assert.True(symbols.IsExpr(compilation.GetTypeByMetadataName("GanDsl.Expr")));
        Assert.False(symbols.IsExpr(compilation.GetTypeByMetadataName("GanDsl.Loss")));
        // A new compilation (an edit) gets its own symbols.
        Assert.NotSame(symbols, DslSymbols.For(compilation.AddSyntaxTrees(CSharpSyntaxTree.ParseText("class D { }"))));
    }

    [Fact]
    public void WithoutTheDsl_NothingIsADslType_AndTheGeneratorWritesNothing()
    {
        var references = GeneratorTestDriver.References.Where(r => !(r.Display ?? "").Contains("GanDsl", StringComparison.Ordinal));
        var compilation = CSharpCompilation.Create("NoDsl", [CSharpSyntaxTree.ParseText("public class Expr { } public class C { }")], references,
            new CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary));
        var symbols = DslSymbols.For(compilation);
        Assert.Null(symbols.GanLoss);
        Assert.Null(symbols.Expr);
        Assert.False(symbols.IsExpr(compilation.GetTypeByMetadataName("Expr")));
        Assert.False(DslSymbols.Is(null, symbols.Expr));

        var run = GeneratorTestDriver.Run(compilation);
        Assert.Empty(run.Files);
        Assert.Empty(run.Diagnostics);
    }
}
