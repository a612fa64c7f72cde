using System.Collections.Generic;
using System.Linq;
using System.Runtime.CompilerServices;
using Microsoft.CodeAnalysis;

namespace GanDsl.Generator;

/// <summary>
/// The DSL's types as symbols of one compilation: its attributes, <c>Vocabulary</c>, <c>Penalties</c>, <c>Expr</c> and
/// <c>Loss</c>. The parser compares symbols with these (<see cref="SymbolEqualityComparer.Default"/>), never names as
/// strings, so a user type that happens to be called <c>NetworkAttribute</c> is not the DSL's.
/// </summary>
/// <remarks>
/// Built once per compilation and kept in a weak table keyed on it: it never enters the pipeline (whose values must stay
/// equatable and free of Roslyn objects), and it dies with its compilation. When the DSL assembly is not referenced every
/// member is null and every test below is false: nothing is a DSL type.
/// </remarks>
internal sealed class DslSymbols
{
    private static readonly ConditionalWeakTable<Compilation, DslSymbols> s_byCompilation = new();

    private DslSymbols(Compilation compilation)
    {
        // One search of the whole compilation; the other types are looked up in the assembly that declares [GanLoss]
        // (GanDsl.Dsl, or the compilation itself when it compiles the DSL), which costs no walk over every reference.
        GanLoss = compilation.GetTypeByMetadataName(GanLossGenerator.Names.GanLoss);
        var dsl = GanLoss?.ContainingAssembly;
        INamedTypeSymbol? Type(string name) => dsl?.GetTypeByMetadataName("GanDsl." + name);
        DiscriminatorLoss = Type("DiscriminatorLossAttribute");
        GeneratorLoss = Type("GeneratorLossAttribute");
        Hyper = Type("HyperAttribute");
        State = Type("StateAttribute");
        Network = Type("NetworkAttribute");
        ClassHead = Type("ClassHeadAttribute");
        CriticSteps = Type("CriticStepsAttribute");
        SeparateForwardPasses = Type("SeparateForwardPassesAttribute");
        ClipWeights = Type("ClipWeightsAttribute");
        Adam = Type("AdamAttribute");
        RMSprop = Type("RMSpropAttribute");
        Macro = Type("MacroAttribute");
        Vocabulary = Type("Vocabulary");
        Penalties = Type("Penalties");
        Expr = Type("Expr");
        Loss = Type("Loss");
        _attributes = new[] { GanLoss, DiscriminatorLoss, GeneratorLoss, Hyper, State, Network, ClassHead, CriticSteps, SeparateForwardPasses, ClipWeights,
            Adam, RMSprop, Macro }
            .Where(a => a is not null).Select(a => a!).ToArray();
    }

    /// <summary>The known symbols of <paramref name="compilation"/>, built on first use.</summary>
    public static DslSymbols For(Compilation compilation) => s_byCompilation.GetValue(compilation, static c => new DslSymbols(c));

    private readonly IReadOnlyList<INamedTypeSymbol> _attributes;

    // ----- attributes (src/Dsl/Attributes.cs) -----
    public INamedTypeSymbol? GanLoss { get; }
    public INamedTypeSymbol? DiscriminatorLoss { get; }
    public INamedTypeSymbol? GeneratorLoss { get; }
    public INamedTypeSymbol? Hyper { get; }
    public INamedTypeSymbol? State { get; }
    public INamedTypeSymbol? Network { get; }
    public INamedTypeSymbol? ClassHead { get; }
    public INamedTypeSymbol? CriticSteps { get; }
    public INamedTypeSymbol? SeparateForwardPasses { get; }
    public INamedTypeSymbol? ClipWeights { get; }
    public INamedTypeSymbol? Adam { get; }
    public INamedTypeSymbol? RMSprop { get; }
    public INamedTypeSymbol? Macro { get; }

    // ----- types -----
    public INamedTypeSymbol? Vocabulary { get; }
    public INamedTypeSymbol? Penalties { get; }
    public INamedTypeSymbol? Expr { get; }
    public INamedTypeSymbol? Loss { get; }

    /// <summary>True when <paramref name="type"/> is the known type <paramref name="known"/> (false when the DSL is not referenced).</summary>
    public static bool Is(ITypeSymbol? type, INamedTypeSymbol? known) =>
        type is not null && known is not null && SymbolEqualityComparer.Default.Equals(type, known);

    public bool IsExpr(ITypeSymbol? type) => Is(type, Expr);

    public bool IsVocabulary(ITypeSymbol? type) => Is(type, Vocabulary);

    /// <summary>An attribute of the DSL (any of src/Dsl/Attributes.cs).</summary>
    public bool IsDslAttribute(AttributeData attribute) => attribute.AttributeClass is { } type && _attributes.Any(a => Is(type, a));

    /// <summary>True when <paramref name="symbol"/> carries the attribute <paramref name="attribute"/>.</summary>
    public static bool Has(ISymbol symbol, INamedTypeSymbol? attribute) => symbol.GetAttributes().Any(a => Is(a.AttributeClass, attribute));
}
