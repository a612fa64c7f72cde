using FsCheck;
using FsCheck.Fluent;
using GanDsl.Generator.Ir;
using GanDsl.Generator.Passes;

namespace GanDsl.Generator.Tests;

/// <summary>The optimiser keeps values: an evaluator over the IR gives the same value before and after it.</summary>
public sealed class OptimizerTests
{
    private const int Batch = 3, Features = 2;

    private static readonly Dictionary<string, NetworkSpec> s_networks = new(StringComparer.Ordinal)
    {
        ["D"] = new("D", Ir.NetworkRole.Critic, Ir.NetworkOutput.Score),
        ["G"] = new("G", Ir.NetworkRole.Generator, Ir.NetworkOutput.Sample),
    };

    // ----- an evaluator over the IR: every value is a rows x cols matrix (scalar 1x1, per-sample Bx1, batch BxF) -----

    private sealed record Value(int Rows, int Cols, double[] Data)
    {
        public double this[int r, int c] => Data[(r % Rows) * Cols + c % Cols];
        public static Value Scalar(double v) => new(1, 1, [v]);
    }

    private sealed class Evaluator(double[] real, double[] noise)
    {
        public Value Eval(ExprNode node) => node switch
        {
            ConstNode c => Value.Scalar(c.Value),
            HyperNode => Value.Scalar(0.5),
            StateNode => Value.Scalar(0.25),
            InputNode i => new Value(Batch, Features, i.Kind == InputKind.Real ? real : noise),
            NamedNode n => Eval(n.Body),
            ApplyNode a => a.Network == "D" ? Critic(Eval(a.Argument)) : Map(Eval(a.Argument), v => Math.Tanh(v) * 1.5 + 0.1),
            CallNode c => Call(c),
            _ => throw new InvalidOperationException(),
        };

        // D(v) = 0.7 v0 - 1.3 v1 + 0.2 per sample.
        private static Value Critic(Value v)
        {
            var data = new double[Batch];
            for (var r = 0; r < Batch; r++) data[r] = 0.7 * v[r, 0] - 1.3 * v[r, v.Cols > 1 ? 1 : 0] + 0.2;
            return new Value(Batch, 1, data);
        }

        private Value Call(CallNode call)
        {
            var a = call.Args.Select(Eval).ToArray();
            return call.Op switch
            {
                Op.Add => Zip(a[0], a[1], (p, q) => p + q),
                Op.Sub => Zip(a[0], a[1], (p, q) => p - q),
                Op.Mul => Zip(a[0], a[1], (p, q) => p * q),
                Op.Div => Zip(a[0], a[1], (p, q) => p / q),
                Op.Min => Zip(a[0], a[1], Math.Min),
                Op.Max => Zip(a[0], a[1], Math.Max),
                Op.Neg => Map(a[0], v => -v),
                Op.Log => Map(a[0], Math.Log),
                Op.Exp => Map(a[0], Math.Exp),
                Op.Sqrt => Map(a[0], Math.Sqrt),
                Op.Abs => Map(a[0], Math.Abs),
                Op.Square => Map(a[0], v => v * v),
                Op.Sigmoid => Map(a[0], v => 1 / (1 + Math.Exp(-v))),
                Op.LogSigmoid => Map(a[0], v => -Softplus(-v)),
                Op.Softplus => Map(a[0], Softplus),
                Op.Relu => Map(a[0], v => Math.Max(v, 0)),
                Op.Clamp => Map(a[0], v => Math.Min(Math.Max(v, a[1].Data[0]), a[2].Data[0])),
                Op.Pow => Map(a[0], v => Math.Pow(v, a[1].Data[0])),
                Op.Mean => Value.Scalar(Expand(a[0]).Average()),
                Op.Sum => Value.Scalar(a[0].Data.Sum()),
                Op.MeanPerSample => PerRow(a[0], row => row.Average()),
                Op.Norm => PerRow(a[0], row => Math.Sqrt(row.Sum(v => v * v))),
                Op.BceWithLogitsMean => Value.Scalar(Pairs(a[0], a[1]).Average(p => Math.Max(p.X, 0) - p.X * p.Y + Math.Log(1 + Math.Exp(-Math.Abs(p.X))))),
                Op.MseMean => Value.Scalar(Pairs(a[0], a[1]).Average(p => (p.X - p.Y) * (p.X - p.Y))),
                Op.L1Mean => Value.Scalar(Pairs(a[0], a[1]).Average(p => Math.Abs(p.X - p.Y))),
                Op.MeanSquaredNorm => Value.Scalar(Enumerable.Range(0, a[0].Rows).Average(r => a[0].Data.Skip(r * a[0].Cols).Take(a[0].Cols).Sum(v => v * v))),
                _ => throw new NotSupportedException(call.Op.ToString()),
            };
        }

        private static double Softplus(double t) => Math.Max(t, 0) + Math.Log(1 + Math.Exp(-Math.Abs(t)));
        private static Value Map(Value v, Func<double, double> f) => v with { Data = v.Data.Select(f).ToArray() };
        private static IEnumerable<double> Expand(Value v) => v.Data;

        private static Value Zip(Value p, Value q, Func<double, double, double> f)
        {
            int rows = Math.Max(p.Rows, q.Rows), cols = Math.Max(p.Cols, q.Cols);
            var data = new double[rows * cols];
            for (var r = 0; r < rows; r++)
                for (var c = 0; c < cols; c++) data[r * cols + c] = f(p[r, c], q[r, c]);
            return new Value(rows, cols, data);
        }

        private static IEnumerable<(double X, double Y)> Pairs(Value p, Value q)
        {
            var z = Zip(p, q, (_, _) => 0);
            for (var r = 0; r < z.Rows; r++)
                for (var c = 0; c < z.Cols; c++) yield return (p[r, c], q[r, c]);
        }

        private static Value PerRow(Value v, Func<double[], double> f)
        {
            var data = new double[v.Rows];
            for (var r = 0; r < v.Rows; r++) data[r] = f(v.Data.Skip(r * v.Cols).Take(v.Cols).ToArray());
            return new Value(v.Rows, 1, data);
        }
    }

    // ----- random expressions, biased towards the shapes the rewrites match -----

    private static Gen<ExprNode> Leaf() => Gen.OneOf(
        Gen.Elements(-2.0, -1.0, -0.5, 0.0, 0.5, 1.0, 2.0, 3.0).Select(v => (ExprNode)new ConstNode(v)),
        Gen.Constant((ExprNode)new HyperNode("H")),
        Gen.Constant((ExprNode)new InputNode(InputKind.Real)),
        Gen.Constant((ExprNode)new ApplyNode("D", new InputNode(InputKind.Real))),
        Gen.Constant((ExprNode)new ApplyNode("D", new ApplyNode("G", new InputNode(InputKind.Noise)))));

    private static CallNode C(Op op, params ExprNode[] args) => new(op, args);

    // Sigmoid's argument is clamped to [-15, 15] so the naive forms are still accurate where they are compared.
    private static ExprNode Sig(ExprNode t) => C(Op.Sigmoid, C(Op.Clamp, t, new ConstNode(-15), new ConstNode(15)));

    private static Gen<ExprNode> Expr(int size)
    {
        if (size <= 0) return Leaf();
        var sub = Gen.Sized(_ => Expr(size / 2));
        var unary = Gen.Zip(Gen.Elements(Op.Neg, Op.Abs, Op.Square, Op.Softplus, Op.Relu, Op.LogSigmoid, Op.Mean, Op.Sum, Op.MeanPerSample, Op.Norm), sub)
            .Select(p => (ExprNode)C(p.Item1, p.Item2));
        var binary = Gen.Zip(Gen.Elements(Op.Add, Op.Sub, Op.Mul, Op.Min, Op.Max), Gen.Zip(sub, sub))
            .Select(p => (ExprNode)C(p.Item1, p.Item2.Item1, p.Item2.Item2));
        var patterns = Gen.Zip(Gen.Choose(0, 10), Gen.Zip(sub, sub)).Select(p =>
        {
            var (t, u) = p.Item2;
            return (ExprNode)(p.Item1 switch
            {
                0 => C(Op.Log, Sig(t)),
                1 => C(Op.Log, C(Op.Sub, new ConstNode(1), Sig(t))),
                2 => C(Op.Mean, C(Op.Square, C(Op.Sub, t, u))),
                3 => C(Op.Mean, C(Op.Softplus, C(Op.Neg, t))),
                4 => C(Op.Neg, C(Op.Mean, C(Op.Log, Sig(t)))),
                5 => C(Op.Sub, t, C(Op.Neg, u)),
                6 => C(Op.Mean, C(Op.MeanPerSample, C(Op.Square, C(Op.Sub, t, u)))),
                7 => C(Op.Mean, C(Op.Square, C(Op.Add, C(Op.Sub, t, C(Op.Mean, u)), new ConstNode(1)))),
                8 => C(Op.Mean, C(Op.Square, C(Op.Sub, C(Op.Mean, t), u))),
                9 => C(Op.Mean, C(Op.Square, C(Op.Norm, t))),
                _ => C(Op.Mul, C(Op.Add, new ConstNode(1), new ConstNode(0)), C(Op.Sub, t, new ConstNode(0))),
            });
        });
        return Gen.Frequency((1, Leaf()), (3, unary), (3, binary), (4, patterns));
    }

    [Fact]
    public void Optimize_KeepsTheValue_OfRandomExpressions()
    {
        var cases = Gen.Sample(Gen.Zip(Expr(12), Gen.ArrayOf(Gen.Choose(-1000, 1000), 2 * Batch * Features)), 300, new Rnd(7), 30);
        var rewritten = 0;
        var compared = 0;
        foreach (var (expression, numbers) in cases)
        {
            var data = numbers.Select(n => n / 1000.0).ToArray();
            var evaluator = new Evaluator(data[..(Batch * Features)], data[(Batch * Features)..]);
            var optimized = Optimizer.Run(expression, s_networks);
            if (!optimized.Equals(expression)) rewritten++;

            var before = evaluator.Eval(expression);
            var after = evaluator.Eval(optimized);
            if (before.Data.Any(v => !double.IsFinite(v))) continue;   // the naive form over/underflowed: nothing to compare
            compared++;
            Assert.Equal(before.Data.Length, after.Data.Length);
            for (var i = 0; i < before.Data.Length; i++)
                Assert.True(Math.Abs(before.Data[i] - after.Data[i]) <= 1e-9 * Math.Max(1, Math.Abs(before.Data[i])),
                    $"{Printer.Print(expression)}\n  = {before.Data[i]:R}\nbut after Optimize\n{Printer.Print(optimized)}\n  = {after.Data[i]:R}");
        }
        Assert.True(rewritten > 100, $"only {rewritten} of 300 expressions were rewritten");
        Assert.True(compared > 150, $"only {compared} of 300 expressions were finite");
    }

    [Theory]
    [InlineData("Log(Sigmoid(D(x)))", "LogSigmoid(D(x))")]
    [InlineData("-Mean(Log(Sigmoid(D(x))))", "BinaryCrossEntropyWithLogits(D(x), 1)")]
    [InlineData("Mean(Log(1 - Sigmoid(D(x))))", "-BinaryCrossEntropyWithLogits(D(x), 0)")]
    [InlineData("Mean(Square(D(x) - 1))", "MseLoss(D(x), 1)")]
    [InlineData("Mean(Square(D(x) - D(G(z))))", "MseLoss(D(x), D(G(z)))")]
    [InlineData("Mean(D(x)) * (2 - 1) + 0", "Mean(D(x))")]
    [InlineData("Mean(MeanPerSample(Square(G(z) - x)))", "MseLoss(G(z), x)")]
    [InlineData("Mean(Square(D(G(z)) - Mean(D(x)) + 1))", "MseLoss(D(G(z)) - Mean(D(x)), -1)")]
    [InlineData("Mean(Square(D(G(z)) - Mean(D(x))))", "MseLoss(D(G(z)), Mean(D(x)))")]
    [InlineData("Mean(Square(Mean(D(x)) - D(G(z))))", "MseLoss(D(G(z)), Mean(D(x)))")]
    [InlineData("Mean(Square(H + D(x)))", "MseLoss(D(x), -H)")]
    [InlineData("Mean(Abs(G(z) - x))", "L1Loss(G(z), x)")]
    [InlineData("Mean(MeanPerSample(Abs(G(z) - x)))", "L1Loss(G(z), x)")]
    [InlineData("Mean(Abs(D(x) + 1))", "L1Loss(D(x), -1)")]
    [InlineData("Mean(Square(Norm(G(z) - x)))", "MeanSquaredNorm(G(z) - x)")]
    public void Optimize_AppliesTheStableAndFusedForms(string input, string expected)
    {
        var node = Parse(input);
        Assert.Equal(expected, Printer.Print(Optimizer.Run(node, s_networks)));
    }

    [Fact]
    public void Optimize_LeavesGradientPenaltyShapeAlone_WhenOperandsDiffer()
    {
        // Mean((Norm(..) - D(x))²) mixes two per-sample values: fused; a per-sample minus a batch is not.
        var mixed = C(Op.Mean, C(Op.Square, C(Op.Sub, new InputNode(InputKind.Real), new ApplyNode("D", new InputNode(InputKind.Real)))));
        Assert.Equal(mixed, Optimizer.Run(mixed, s_networks));
    }

    /// <summary>A tiny reader for the DSL text of these tests (the generator reads C# through Roslyn instead).</summary>
    private static ExprNode Parse(string text)
    {
        var tree = Microsoft.CodeAnalysis.CSharp.SyntaxFactory.ParseExpression(text);
        return Lower(tree);

        static ExprNode Lower(Microsoft.CodeAnalysis.CSharp.Syntax.ExpressionSyntax e) => e switch
        {
            Microsoft.CodeAnalysis.CSharp.Syntax.ParenthesizedExpressionSyntax p => Lower(p.Expression),
            Microsoft.CodeAnalysis.CSharp.Syntax.LiteralExpressionSyntax l => new ConstNode(Convert.ToDouble(l.Token.Value)),
            Microsoft.CodeAnalysis.CSharp.Syntax.PrefixUnaryExpressionSyntax u => C(Op.Neg, Lower(u.Operand)),
            Microsoft.CodeAnalysis.CSharp.Syntax.BinaryExpressionSyntax b => C(b.OperatorToken.Text switch { "+" => Op.Add, "-" => Op.Sub, "*" => Op.Mul, _ => Op.Div }, Lower(b.Left), Lower(b.Right)),
            Microsoft.CodeAnalysis.CSharp.Syntax.IdentifierNameSyntax { Identifier.Text: "x" } => new InputNode(InputKind.Real),
            Microsoft.CodeAnalysis.CSharp.Syntax.IdentifierNameSyntax { Identifier.Text: "z" } => new InputNode(InputKind.Noise),
            Microsoft.CodeAnalysis.CSharp.Syntax.IdentifierNameSyntax { Identifier.Text: "H" } => new HyperNode("H"),
            Microsoft.CodeAnalysis.CSharp.Syntax.InvocationExpressionSyntax i when i.Expression.ToString() is "D" or "G" => new ApplyNode(i.Expression.ToString(), Lower(i.ArgumentList.Arguments[0].Expression)),
            Microsoft.CodeAnalysis.CSharp.Syntax.InvocationExpressionSyntax i => new CallNode(Enum.Parse<Op>(i.Expression.ToString()), i.ArgumentList.Arguments.Select(a => Lower(a.Expression)).ToArray()),
            _ => throw new NotSupportedException(e.ToString()),
        };
    }
}
