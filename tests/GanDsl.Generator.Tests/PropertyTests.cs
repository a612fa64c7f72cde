using FsCheck;
using FsCheck.Fluent;
using GanDsl.Generator.Ir;
using GanDsl.Generator.Tests.Training;
using GanDsl.Testing;
using Microsoft.CodeAnalysis;

namespace GanDsl.Generator.Tests;

/// <summary>
/// If it builds, it trains: random well-typed loss declarations drawn from the vocabulary (macros, state,
/// penalties, StopGradient, Step, Grad, nested networks) either get at least one GAN error, or compile and
/// train two steps without an exception. Hundreds of cases per run, one seeded sample; all cases share one
/// compilation (speed); a failing case is shrunk greedily to a minimal failing declaration.
/// </summary>
public sealed class PropertyTests
{
    private const int Cases = 300;
    private const ulong Seed = 20261111;

    /// <summary>What a sub-expression is: the generator only builds well-typed declarations.</summary>
    public enum Kind { Scalar, PerSample, Data, Noise }

    /// <summary>A DSL expression: a format over its operands (shrinks by replacing a node with an operand of its kind).</summary>
    public sealed record Expr(Kind Kind, string Format, Expr[] Args)
    {
        public string Render() => string.Format(System.Globalization.CultureInfo.InvariantCulture, Format, Args.Select(a => (object)a.Render()).ToArray());

        public IEnumerable<Expr> Shrinks()
        {
            foreach (var a in Args.Where(a => a.Kind == Kind)) yield return a;
            for (var i = 0; i < Args.Length; i++)
                foreach (var s in Args[i].Shrinks())
                {
                    var copy = (Expr[])Args.Clone();
                    copy[i] = s;
                    yield return this with { Args = copy };
                }
        }
    }

    /// <summary>One loss class: its two losses, an optional state update of k and an optional monitor.</summary>
    public sealed record Declaration(Expr Discriminator, Expr Generator, Expr? State, Expr? Monitor)
    {
        public string Render(string name) => $$"""
            using GanDsl;
            using static GanDsl.Vocabulary;
            using static GanDsl.Penalties;
            namespace Prop;
            [GanLoss("{{name.ToLowerInvariant()}}")]
            public partial class {{name}}
            {
                [Hyper] const double Lambda = 0.5;
                static Expr F(Expr v) => Softplus(v) - 1;
                [State(0.5, StateUpdateTiming.AfterCriticStep)] static Expr k => {{State?.Render() ?? "k"}};
                {{(Monitor is null ? "" : "static Expr Mon => " + Monitor.Render() + ";")}}
                [DiscriminatorLoss] static Loss Dl => {{Discriminator.Render()}};
                [GeneratorLoss] static Loss Gl => {{Generator.Render()}};
            }
            """;

        public IEnumerable<Declaration> Shrinks()
        {
            if (State is not null) yield return this with { State = null };
            if (Monitor is not null) yield return this with { Monitor = null };
            foreach (var s in Discriminator.Shrinks()) yield return this with { Discriminator = s };
            foreach (var s in Generator.Shrinks()) yield return this with { Generator = s };
            if (State is not null) foreach (var s in State.Shrinks()) yield return this with { State = s };
            if (Monitor is not null) foreach (var s in Monitor.Shrinks()) yield return this with { Monitor = s };
        }
    }

    private static Expr Leaf(Kind kind, string text) => new(kind, text, []);

    private static readonly Dictionary<Kind, string[]> s_leaves = new()
    {
        [Kind.Scalar] = ["Lambda", "k", "1", "Mean(D(x))", "Mean(D(G(z)))", "R1(Lambda)"],
        [Kind.PerSample] = ["D(x)", "D(G(z))", "D(G(z2))"],
        [Kind.Data] = ["x", "G(z)", "G(z2)"],
        [Kind.Noise] = ["z", "z2"],
    };

    /// <summary>Forms that are not one operation of the table: networks, macros, penalties, idioms.</summary>
    private static readonly Dictionary<Kind, (string Format, Kind[] Args)[]> s_compounds = new()
    {
        [Kind.Scalar] =
        [
            ("Lambda * {0}", [Kind.Scalar]), ("GradientPenalty({0})", [Kind.Data]), ("Mean(Step({0}))", [Kind.PerSample]),
            ("Mean(Square({0}))", [Kind.PerSample]), ("Mean(Norm(Grad({0}, {1})))", [Kind.PerSample, Kind.Data]),
        ],
        [Kind.PerSample] =
        [
            ("D({0})", [Kind.Data]), ("F({0})", [Kind.PerSample]), ("Norm(Grad(D({0}), {0}))", [Kind.Data]),
            ("MeanPerSample(Square(AE({0}) - {0}))", [Kind.Data]),
        ],
        [Kind.Data] = [("G({0})", [Kind.Noise]), ("AE({0})", [Kind.Data]), ("({0} + 0.1 * UniformLike({0}))", [Kind.Data]), ("DraganPoint({0})", [Kind.Data])],
        [Kind.Noise] = [("StopGradient({0})", [Kind.Noise]), ("{0} * 0.5", [Kind.Noise])],
    };

    /// <summary>
    /// Every operation of the generator's table that a user can write (a word or an operator), typed from its
    /// shape rule: a new table row is drawn here without editing this file. Operands the table says must be
    /// host values get the constant 0.5, as do a first-operand operation's further operands (Clamp's bounds).
    /// </summary>
    internal static IEnumerable<(Kind Result, string Format, Kind[] Args, Op Op)> FromTable()
    {
        foreach (var op in Operations.All)
        {
            if (op.Word is null && op.Infix is null) continue;   // fused kernels the optimiser introduces
            // CrossEntropy reads class logits and labels, which TwoStepHarness's unlabelled context has none of: its random
            // uses would all be GAN0028 rejections, never trained. The conditional words are checked in ConditionalTests
            // (diagnostics and steps run on hand-built labelled contexts) until the trainer's labelled data merges.
            if (op.ClassLogitsAndLabels) continue;
            var tensors = op.Host?.From ?? op.Arity;
            string Render(int count)
            {
                if (op.Infix is not null) return count == 1 ? "(" + op.Infix + "{0})" : "({0} " + op.Infix + " {1})";
                var operands = Enumerable.Range(0, op.Arity).Select(i => i < count ? "{" + i + "}" : "0.5");
                return op.Word + "(" + string.Join(", ", operands) + ")";
            }
            // A scalar operand only where the operation computes on host doubles too (a 0-d tensor is not a batch).
            var kinds = op.IsHostComputable ? new[] { Kind.Scalar, Kind.PerSample, Kind.Data } : new[] { Kind.PerSample, Kind.Data };
            switch (op.Shape)
            {
                case ShapeRule.Broadcast:
                    foreach (var kind in kinds)
                        yield return (kind, Render(tensors), Enumerable.Repeat(kind, tensors).ToArray(), op.Op);
                    break;
                case ShapeRule.First:
                    foreach (var kind in kinds)
                        yield return (kind, Render(1), [kind], op.Op);
                    break;
                case ShapeRule.Scalar:
                    if (tensors == 1)
                    {
                        yield return (Kind.Scalar, Render(1), [Kind.PerSample], op.Op);
                        yield return (Kind.Scalar, Render(1), [Kind.Data], op.Op);
                    }
                    else yield return (Kind.Scalar, Render(tensors), Enumerable.Repeat(Kind.Data, tensors).ToArray(), op.Op);
                    break;
                case ShapeRule.PerSample or ShapeRule.FreshPerSample:
                    yield return (Kind.PerSample, Render(1), [Kind.Data], op.Op);
                    break;
                case ShapeRule.Second:
                    yield return (Kind.Data, Render(2), [Kind.PerSample, Kind.Data], op.Op);
                    break;
                default:
                    yield return (Kind.PerSample, Render(tensors), Enumerable.Repeat(Kind.PerSample, tensors).ToArray(), op.Op);
                    break;
            }
        }
    }

    private static readonly Dictionary<Kind, (string Format, Kind[] Args)[]> s_operations =
        s_compounds.ToDictionary(k => k.Key, k => k.Value.Concat(FromTable().Where(t => t.Result == k.Key).Select(t => (t.Format, t.Args))).ToArray());

    private static Gen<Expr> Of(Kind kind, int depth)
    {
        var leaves = Gen.Elements(s_leaves[kind]).Select(t => Leaf(kind, t));
        if (depth == 0) return leaves;
        var operations = Gen.Elements(s_operations[kind]).SelectMany(op =>
            (op.Args.Length == 1
                ? Of(op.Args[0], depth - 1).Select(a => new[] { a })
                : from a in Of(op.Args[0], depth - 1) from b in Of(op.Args[1], depth - 1) select new[] { a, b })
            .Select(args => new Expr(kind, op.Format, args)));
        return Gen.Frequency((1, leaves), (3, operations));
    }

    private static Gen<Declaration> Declarations() =>
        from d in Of(Kind.Scalar, 3)
        from g in Of(Kind.Scalar, 3)
        from state in Gen.Frequency((2, Gen.Constant<Expr?>(null)), (1, Of(Kind.Scalar, 2).Select(e => (Expr?)e)))
        from monitor in Gen.Frequency((2, Gen.Constant<Expr?>(null)), (1, Of(Kind.Scalar, 2).Select(e => (Expr?)e)))
        select new Declaration(d, g, state, monitor);

    /// <summary>null when the declarations keep the promise; else, per failing index, what went wrong.</summary>
    private static Dictionary<int, string> Failures(IReadOnlyList<Declaration> declarations, out int rejected)
    {
        var sources = declarations.Select((d, i) => d.Render("P" + i)).ToList();
        var compilation = GeneratorTestDriver.CreateCompilation(sources);
        var run = GeneratorTestDriver.Run(compilation);
        Assert.Null(run.Exception);
        var failures = new Dictionary<int, string>();
        var ganErrors = run.Diagnostics.Where(d => d.Severity == DiagnosticSeverity.Error).ToList();
        foreach (var internalError in run.Diagnostics.Where(d => d.Id == "GAN0099"))
            failures[IndexOf(internalError.Location.SourceTree?.FilePath)] = internalError.ToString();
        var rejectedSet = ganErrors.Select(d => IndexOf(d.Location.SourceTree?.FilePath)).ToHashSet();
        rejected = rejectedSet.Count;
        foreach (var error in run.CompilationErrors)
        {
            var index = IndexOf(error.Location.SourceTree?.FilePath);
            if (!rejectedSet.Contains(index)) failures.TryAdd(index, "does not compile: " + error);
        }
        if (failures.Count > 0) return failures;

        // Train the accepted ones, compiled without the rejected ones (those do not compile by design).
        var accepted = Enumerable.Range(0, sources.Count).Where(i => !rejectedSet.Contains(i)).ToList();
        if (accepted.Count == 0) return failures;
        var trainRun = GeneratorTestDriver.Run(GeneratorTestDriver.CreateCompilation(accepted.Select(i => sources[i])));
        var trained = TwoStepHarness.Train(trainRun.OutputCompilation, accepted.Select(i => "Prop.P" + i).ToList());
        foreach (var i in accepted)
            if (trained["Prop.P" + i] is { } problem) failures[i] = "fails to train: " + problem;
        return failures;

        int IndexOf(string? path) =>
            path is not null && path.StartsWith("Source", StringComparison.Ordinal) ? int.Parse(path[6..^3], System.Globalization.CultureInfo.InvariantCulture)
            : path is not null && path.Contains(".P", StringComparison.Ordinal) ? int.Parse(path.Split(".P")[^1].Split('.')[0], System.Globalization.CultureInfo.InvariantCulture)
            : -1;
    }

    private static string? Failure(Declaration declaration) => Failures([declaration], out _).Values.FirstOrDefault();

    /// <summary>Greedy shrinking: take the first simpler declaration that still fails, until none does.</summary>
    private static (Declaration, string) Shrink(Declaration declaration, string failure)
    {
        for (var rounds = 0; rounds < 200; rounds++)
        {
            var smaller = declaration.Shrinks().Select(d => (Declaration: d, Failure: Failure(d))).FirstOrDefault(t => t.Failure is not null);
            if (smaller.Declaration is null) break;
            (declaration, failure) = (smaller.Declaration, smaller.Failure!);
        }
        return (declaration, failure);
    }

    [Fact]
    public void Every_operation_a_user_can_write_is_drawn()
    {
        var drawn = FromTable().Select(t => t.Op).ToHashSet();
        foreach (var op in Operations.All.Where(o => (o.Word is not null || o.Infix is not null) && !o.ClassLogitsAndLabels))
            Assert.Contains(op.Op, drawn);
        Assert.Contains(Op.Mmd2, drawn);
        Assert.Contains(Op.Grad, drawn);
    }

    [Fact]
    public void RandomDeclarations_EitherGetAGanErrorOrTrainTwoSteps()
    {
        var declarations = Gen.Sample(Declarations(), Cases, new Rnd(Seed), 10);
        Assert.Equal(Cases, declarations.Length);
        var failures = Failures(declarations, out var rejected);
        if (failures.Count > 0)
        {
            var (first, why) = failures.OrderBy(f => f.Key).First();
            var (minimal, minimalWhy) = first >= 0 ? Shrink(declarations[first], why) : (declarations[0], why);
            Assert.Fail($"{failures.Count} of {Cases} declarations broke the promise. Minimal failing declaration ({minimalWhy}):\n{minimal.Render("P0")}");
        }
        // The sample must exercise both outcomes.
        Assert.InRange(rejected, Cases / 10, Cases - Cases / 10);
    }
}
