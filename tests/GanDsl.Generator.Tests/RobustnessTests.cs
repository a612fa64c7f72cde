using FsCheck;
using FsCheck.Fluent;
using GanDsl.Testing;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;

namespace GanDsl.Generator.Tests;

/// <summary>The generator never throws, whatever it is given: mutated loss sources (FsCheck, fixed seed).</summary>
public sealed class RobustnessTests
{
    private const int Cases = 200;
    private const ulong Seed = 20260611;

    private static readonly string[] s_vocabulary = ["Log", "Grad", "Mean", "D", "G", "x", "z", "0", "1.5", "Between", "Lambda", "k", "(", ")", ",", "-", "*", "[", "]", ";", "static", "partial"];

    /// <summary>Loss sources to mutate: the sample losses plus one using every declaration form.</summary>
    private static readonly string[] s_sources = LoadSources();

    private static string[] LoadSources()
    {
        var losses = new[] { "NonSaturating.cs", "WganGp.cs", "Began.cs" }
            .Select(f => File.ReadAllText(Path.Combine(TestSupport.RepoRoot, "src", "Losses", f)));
        const string everything = """
            using GanDsl;
            using static GanDsl.Vocabulary;
            using static GanDsl.Penalties;
            namespace Samples;
            /// <summary>Every form.</summary>
            [GanLoss("all"), CriticSteps(2), ClipWeights("A", -0.1, 0.2), RMSprop(1e-4)]
            public partial class All
            {
                [Hyper] const double Lambda = 10;
                [Network(NetworkRole.Critic, NetworkOutput.Score)] private static partial Expr A(Expr v);
                static Expr E(Expr v) => MeanPerSample(Square(AE(v) - v));
                [State(0, StateUpdateTiming.EndOfEpoch)] static Expr k => Clamp(k + 0.1 * Mean(E(x)), 0, 1);
                [DiscriminatorLoss] static Loss Dl => Mean(Log(1 - Sigmoid(A(G(z))))) + Mean(E(x)) - k * Mean(E(G(z))) + Lambda * DraganPenalty(x) + Mmd2(x, G(z2), 1, 2);
                [GeneratorLoss] static Loss Gl => -Mean(LogSigmoid(A(G(z)) - Mean(A(x)))) + R2(Lambda) * 0;
            }
            """;
        return losses.Append(everything).ToArray();
    }

    /// <summary>One mutation: delete a token, swap an identifier for another, truncate, or insert a vocabulary word.</summary>
    private static string Mutate(string source, int kind, int a, int b)
    {
        var tokens = CSharpSyntaxTree.ParseText(source).GetRoot().DescendantTokens().Where(t => t.Span.Length > 0).ToList();
        if (tokens.Count == 0) return source + s_vocabulary[b % s_vocabulary.Length];
        var token = tokens[a % tokens.Count];
        var identifiers = tokens.Where(t => t.IsKind(SyntaxKind.IdentifierToken)).ToList();
        if (identifiers.Count == 0 && kind == 1) kind = 0;
        return kind switch
        {
            0 => source.Remove(token.SpanStart, token.Span.Length),
            1 => source.Remove(token.SpanStart, token.Span.Length).Insert(token.SpanStart, identifiers[b % identifiers.Count].Text),
            2 => source[..token.Span.End],
            _ => source.Insert(token.SpanStart, s_vocabulary[b % s_vocabulary.Length] + " "),
        };
    }

    private static Gen<string> MutatedSources() =>
        from index in Gen.Choose(0, s_sources.Length - 1)
        from count in Gen.Choose(1, 3)
        from edits in Gen.ArrayOf(Gen.Zip(Gen.Choose(0, 3), Gen.Zip(Gen.Choose(0, 100_000), Gen.Choose(0, 100_000))), count)
        select edits.Aggregate(s_sources[index], (s, e) => Mutate(s, e.Item1, e.Item2.Item1, e.Item2.Item2));

    [Fact]
    public void MutatedLossSources_NeverMakeTheGeneratorThrow()
    {
        var samples = Gen.Sample(MutatedSources(), Cases, new Rnd(Seed), 10);
        Assert.Equal(Cases, samples.Length);
        var baseCompilation = GeneratorTestDriver.CreateCompilation(new[] { "" });
        var distinct = 0;
        foreach (var source in samples)
        {
            var tree = CSharpSyntaxTree.ParseText(source, GeneratorTestDriver.ParseOptions(), "Mutated.cs");
            var compilation = baseCompilation.ReplaceSyntaxTree(baseCompilation.SyntaxTrees[0], tree);
            var run = GeneratorTestDriver.Run(compilation);
            Assert.True(run.Exception is null, $"The generator threw {run.Exception} on:\n{source}");
            var internalErrors = run.Diagnostics.Where(d => d.Id == "GAN0099").ToList();
            Assert.True(internalErrors.Count == 0, $"Internal error {string.Join("; ", internalErrors)} on:\n{source}");
            if (!s_sources.Contains(source)) distinct++;
        }
        Assert.True(distinct > Cases / 2, "the mutations should change most sources");
    }

    [Fact]
    public void OriginalSources_GenerateWithoutErrors()
    {
        foreach (var source in s_sources)
        {
            var run = GeneratorTestDriver.Run(source);
            Assert.Null(run.Exception);
            Assert.Empty(run.Diagnostics);
            Assert.Single(run.Files);
            run.AssertCompiles();
        }
    }
}
