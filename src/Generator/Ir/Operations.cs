using System;
using System.Collections.Generic;
using System.Text;

namespace GanDsl.Generator.Ir;

/// <summary>How an operation's result shape follows from its operands' shapes.</summary>
internal enum ShapeRule
{
    /// <summary>Elementwise with broadcasting: the widest operand's shape (a per-sample operand scales each sample of a batch).</summary>
    Broadcast,
    /// <summary>The first operand's shape (elementwise on one value; the other operands are parameters).</summary>
    First,
    /// <summary>One number.</summary>
    Scalar,
    /// <summary>One number per sample, [B], from [B,...]; a scalar stays a scalar.</summary>
    PerSample,
    /// <summary>The second operand's shape (a gradient has the shape of what it is taken at).</summary>
    Second,
    /// <summary>A fresh per-sample value, [B], whatever the operand's shape.</summary>
    FreshPerSample,
    /// <summary>Some rows of a per-sample value, [k] from [B] (TopK): per-sample, but over fewer samples than the batch.</summary>
    TopRows,
}

/// <summary>
/// One way to write an operation as a tensor call: which operands it takes as tensors and which as
/// host doubles, and the call text.
/// </summary>
/// <param name="Operands">
/// One letter per operand: <c>T</c> a tensor, <c>H</c> a host double, <c>?</c> either (the call accepts both,
/// as TorchSharp's operators do); a trailing <c>*</c> repeats the last letter for any further operands.
/// </param>
/// <param name="Call">
/// The C# expression: <c>$0</c>, <c>$1</c>, ... are the operands, <c>$2*</c> the operands from 2 on separated
/// by commas, <c>$loss</c> the loss name and <c>$text</c> the operation's DSL text (string literals), <c>c</c> the
/// step context.
/// </param>
internal sealed record TensorForm(string Operands, string Call);

/// <summary>How a critic output's unbounded range passes through an operation (for GAN0023's "log of a raw score").</summary>
internal enum RangeRule
{
    /// <summary>The result is bounded or unrelated (Sigmoid, Softplus, ...): no longer a raw critic output.</summary>
    Bounds,
    /// <summary>Unbounded when its first operand is (negation, reductions: the mean of a score is as unbounded as the score).</summary>
    KeepsFirst,
    /// <summary>Unbounded when either operand is (sums, differences).</summary>
    KeepsEither,
    /// <summary>Unbounded when one operand is and the other is a host value (scaling by a constant).</summary>
    KeepsScaled,
}

/// <summary>What an operation of an unbounded critic output is warned about.</summary>
internal enum OperandWarning
{
    None,
    /// <summary>GAN0023: the log of a value that can be negative.</summary>
    Log,
    /// <summary>GAN0026: the exponential of a value that can exceed 88.</summary>
    Exp,
}

/// <summary>
/// Operands that must be host values (constants, hyperparameters, state), from index <paramref name="From"/> on
/// (extra <c>params</c> operands included).
/// </summary>
/// <param name="From">The first such operand.</param>
/// <param name="Needs">What the operation needs, for GAN0025 ("a constant exponent").</param>
/// <param name="What">The operand's name in GAN0045 ("kernel width").</param>
/// <param name="Valid">Which constant values can run, or null for any finite value.</param>
/// <param name="Fix">What to write instead of an invalid constant.</param>
internal sealed record HostOperands(int From, string Needs, string What, Func<double, bool>? Valid = null, string Fix = "");

/// <summary>
/// Everything the generator knows about one operation of the IR, in one place: the parser's vocabulary
/// lookup, the analysis (shape, host computability, dependence), the optimiser (constant folding),
/// the printer (name, infix symbol, precedence) and the planner and emitter (tensor and host call texts)
/// all read it. The call texts are the binding: moving to another tensor library means editing them
/// and <see cref="RuntimeText"/>, nothing else.
/// </summary>
internal sealed class Operation
{
    public Operation(Op op, string? word, int arity, ShapeRule shape, string printed, TensorForm[] forms,
        Func<double[], double>? fold = null, string? hostCall = null, string? infix = null, int precedence = 0,
        bool variadic = false, bool readsValues = true)
    {
        if ((fold is null) != (hostCall is null)) throw new ArgumentException("An operation folds constants exactly when it has a host call: " + op);
        Op = op;
        Word = word;
        Arity = arity;
        Variadic = variadic;
        Shape = shape;
        Printed = printed;
        Forms = forms;
        Fold = fold;
        HostCall = hostCall;
        Infix = infix;
        Precedence = precedence;
        ReadsValues = readsValues;
    }

    public Op Op { get; }

    /// <summary>The <c>GanDsl.Vocabulary</c> method it lowers from, or null (operators, fused kernels the optimiser introduces).</summary>
    public string? Word { get; }

    /// <summary>Number of operands (the minimum, for a variadic operation).</summary>
    public int Arity { get; }

    /// <summary>True when further operands may follow <see cref="Arity"/> (Mmd2's kernel widths).</summary>
    public bool Variadic { get; }

    public ShapeRule Shape { get; }

    /// <summary>The name the printer writes (DSL text in comments and messages).</summary>
    public string Printed { get; }

    /// <summary>Infix symbol for the printer (<c>+</c>), or <c>-</c> as prefix for negation; null for call syntax.</summary>
    public string? Infix { get; }

    /// <summary>Printer precedence: 1 additive, 2 multiplicative, 3 unary; 0 for call syntax.</summary>
    public int Precedence { get; }

    /// <summary>False when only the operands' shapes matter (random draws): the value depends on no network.</summary>
    public bool ReadsValues { get; }

    /// <summary>Its value on host doubles (constant folding); null when it is never computed on the host.</summary>
    public Func<double[], double>? Fold { get; }

    /// <summary>The C# double expression when every operand is on the host (<c>$0</c>, <c>$1</c> as in <see cref="TensorForm"/>).</summary>
    public string? HostCall { get; }

    /// <summary>True when the operation of host operands is a host value (no tensor).</summary>
    public bool IsHostComputable => HostCall is not null;

    /// <summary>Tensor call forms, tried in order; see <see cref="Operations.ChooseForm"/>.</summary>
    public IReadOnlyList<TensorForm> Forms { get; }

    /// <summary>
    /// Which operands carry a gradient back (GradientFlow): one letter per operand, <c>G</c> yes, <c>-</c> no,
    /// a trailing <c>*</c> repeats the last letter. <c>G*</c>: every operand.
    /// </summary>
    public string Gradient { get; init; } = "G*";

    /// <summary>True when operand <paramref name="index"/> carries a gradient back to what it was computed from.</summary>
    public bool CarriesGradient(int index) => Operations.Letter(Gradient, index) == 'G';

    /// <summary>Operands that must be constants, hyperparameters or state (checked by the parser), or null.</summary>
    public HostOperands? Host { get; init; }

    /// <summary>True when the tensor operands are combined elementwise, so they must be of one kind (data with data, noise with noise).</summary>
    public bool OperandsAgree { get; init; }

    /// <summary>True when operands 1 and 2 are a range [min, max] that must be in order when both are constants (Clamp).</summary>
    public bool OrderedBounds { get; init; }

    /// <summary>Operands a call that gives none of its <c>params</c> gets (Mmd2's default kernel widths).</summary>
    public double[] DefaultExtra { get; init; } = Array.Empty<double>();

    /// <summary>How an unbounded critic output's range passes through.</summary>
    public RangeRule Range { get; init; }

    /// <summary>The warning when the first operand is an unbounded critic output (Log: NaN below zero; Exp: infinite above 88).</summary>
    public OperandWarning UnboundedOperand { get; init; }

    /// <summary>True when the first operand must be a per-sample value (one number per sample: TopK ranks samples).</summary>
    public bool NeedsPerSampleOperand { get; init; }

    /// <summary>True when the operands are class logits [B,K] and then class labels [B] (CrossEntropy): the only word that reads labels.</summary>
    public bool ClassLogitsAndLabels { get; init; }

    public override string ToString() => Printed;
}

/// <summary>
/// The runtime texts generated code uses besides the operations: the tensor type, network calls, gradient
/// plumbing. With <see cref="Operations"/> this is the whole binding to the tensor library (TorchSharp).
/// </summary>
internal static class RuntimeText
{
    public const string Tensor = "global::TorchSharp.torch.Tensor";
    public const string NoGrad = "global::TorchSharp.torch.no_grad()";
    public const string LossOps = "global::GanDsl.LossOps";
    /// <summary>Runs a network (<c>$net</c>) on <c>$0</c>; <c>call</c> runs the module's hooks, <c>forward</c> does not.</summary>
    public const string NetworkCall = "$net.call($0)";
    /// <summary>A score network's output as [B] (<c>$name</c>: the network's name as a literal).</summary>
    public const string Score = LossOps + ".Score($0, $name)";
    /// <summary>A feature network's output as [B,F].</summary>
    public const string Features = LossOps + ".Features($0, $name)";
    /// <summary>A class-logits network's output as [B,K], K = the data's class count.</summary>
    public const string ClassLogits = LossOps + ".ClassLogits($0, $name, c.ClassCount)";
    /// <summary>The output of a network with <c>$heads</c> class heads, checked to be [B, 1 + heads·K].</summary>
    public const string WithClassHeads = LossOps + ".WithClassHeads($0, $name, $heads, c.ClassCount, $loss)";
    /// <summary>The score column of a network with class heads, as [B].</summary>
    public const string ScoreColumn = LossOps + ".ScoreColumn($0)";
    /// <summary>The K class logits of head <c>$index</c> of a network with class heads, [B,K].</summary>
    public const string ClassHead = LossOps + ".ClassHead($0, $index, c.ClassCount)";
    /// <summary>Runs a network that takes labels on <c>$0</c> and the labels <c>$1</c>.</summary>
    public const string ConditionalNetworkCall = "$net.call($0, $1)";
    /// <summary>A network applied with labels, fetched once per step.</summary>
    public const string ConditionalNetwork = "c.ConditionalNetwork($name)";
    /// <summary>A network applied to a batch alone, fetched once per step.</summary>
    public const string Network = "c.Network($name)";
    /// <summary>The real batch's labels <c>y</c>, checked present (a clear error naming the loss on unlabelled data).</summary>
    public const string RealLabels = LossOps + ".RealLabels(c, $loss)";
    /// <summary>The labels drawn with the noise, <c>yz</c>, checked present.</summary>
    public const string NoiseLabels = LossOps + ".NoiseLabels(c, $loss)";
    /// <summary>A leaf alias of <c>$0</c> that requires grad (or <c>$0</c> itself when it already does).</summary>
    public const string RequireGrad = LossOps + ".RequireGrad($0)";
    /// <summary>A per-sample [B] value reshaped to scale each sample of the batch <c>$1</c>.</summary>
    public const string PerSample = LossOps + ".PerSample($0, $1)";
    /// <summary>A host double as a scalar tensor with the real batch's type and device.</summary>
    public const string Constant = LossOps + ".Constant($0, c.Real)";
    /// <summary>Reads a scalar tensor on the host (a device synchronisation: only for state updates); an extension method, called by its class since generated
    /// code has no usings.</summary>
    public const string ToDouble = "global::TorchSharp.TensorExtensionMethods.ToDouble($0)";
    public const string Backward = "$0.backward()";
    /// <summary>
    /// Applications of one network (<c>$net</c>) to the batches <c>$batches</c> (comma-separated) sharing one forward
    /// pass when the network is batch-independent at run time, one pass each otherwise; an array of the outputs.
    /// </summary>
    public const string SharedForward = LossOps + ".Forward(c, $net, $batches)";
    /// <summary>The type <see cref="SharedForward"/> returns: the outputs, one per batch, and the joined one.</summary>
    public const string SharedOutputs = "global::GanDsl.SharedForwardOutputs";
    /// <summary>As <see cref="SharedForward"/> for a network that takes labels: the batches and their labels (<c>$labels</c>), concatenated alike.</summary>
    public const string SharedConditionalForward = LossOps + ".Forward(c, $net, new[] { $batches }, new[] { $labels })";
    /// <summary>
    /// Σ BCE-with-logits(part, target) over every part of a shared pass (<c>$outputs</c>) of a score network (<c>$name</c>),
    /// one target per part (<c>$targets</c>): one call on the joined output when the pass was shared.
    /// </summary>
    public const string BceWithLogitsOfParts = LossOps + ".BinaryCrossEntropyWithLogitsOfParts($outputs, $name, $targets)";
    /// <summary>The step's source of random draws: an operation whose call names it draws random numbers.</summary>
    public const string RandomSource = "c.Random";
    public const string Real = "c.Real";
    public const string Noise = "c.Noise";
    public const string Noise2 = "c.Noise2";
}

/// <summary>The operation table: one <see cref="Operation"/> per <see cref="Op"/>.</summary>
internal static class Operations
{
    private const string LossOps = RuntimeText.LossOps;
    private const string Functional = "global::TorchSharp.torch.nn.functional";
    private const string Math = "global::System.Math";

    private static readonly Operation[] s_table = Build();
    private static readonly Dictionary<string, List<Operation>> s_byWord = ByWord(s_table);

    /// <summary>The entry of <paramref name="op"/>.</summary>
    public static Operation Of(Op op) => s_table[(int)op];

    /// <summary>
    /// The operation a vocabulary method with <paramref name="arity"/> operands lowers to (<c>Max(v)</c> reduces,
    /// <c>Max(a, b)</c> is elementwise), or null when the word is not an operation (networks, inputs, unknown names).
    /// </summary>
    public static Operation? FromWord(string word, int arity) =>
        s_byWord.TryGetValue(word, out var ops) ? ops.Find(o => o.Arity == arity || (o.Variadic && arity >= o.Arity)) : null;

    public static IReadOnlyList<Operation> All => s_table;

    private static Operation[] Build()
    {
        static TensorForm T(string operands, string call) => new(operands, call);
        static Operation Infix(Op op, string symbol, int precedence, Func<double, double, double> fold, RangeRule range) =>
            new(op, null, 2, ShapeRule.Broadcast, op.ToString(), new[] { T("??", "$0 " + symbol + " $1") },
                v => fold(v[0], v[1]), "$0 " + symbol + " $1", symbol, precedence)
            { OperandsAgree = true, Range = range };
        static Operation Unary(Op op, string tensorCall, Func<double, double>? fold, string? hostCall, string gradient = "G*") =>
            new(op, op.ToString(), 1, ShapeRule.First, op.ToString(), new[] { T("T", tensorCall) },
                fold is null ? null : v => fold(v[0]), hostCall)
            { Gradient = gradient };
        // A reduction keeps an unbounded critic output unbounded (the mean of a score is as unbounded as the score), unless it is a norm.
        static Operation Reduction(Op op, ShapeRule shape, string tensorCall, bool host, string gradient = "G*", RangeRule range = RangeRule.KeepsFirst) =>
            new(op, op.ToString(), 1, shape, op.ToString(), new[] { T("T", tensorCall) },
                host ? v => v[0] : null, host ? "$0" : null)
            { Range = range, Gradient = gradient };

        var ops = new List<Operation>
        {
            Infix(Op.Add, "+", 1, (a, b) => a + b, RangeRule.KeepsEither),
            Infix(Op.Sub, "-", 1, (a, b) => a - b, RangeRule.KeepsEither),
            Infix(Op.Mul, "*", 2, (a, b) => a * b, RangeRule.KeepsScaled),
            Infix(Op.Div, "/", 2, (a, b) => a / b, RangeRule.KeepsScaled),
            new(Op.Neg, null, 1, ShapeRule.First, "Neg", new[] { T("T", "-$0") }, v => -v[0], "-$0", "-", 3) { Range = RangeRule.KeepsFirst },

            new(Op.Log, "Log", 1, ShapeRule.First, "Log", new[] { T("T", "$0.log()") }, v => System.Math.Log(v[0]),
                Math + ".Log($0)") { UnboundedOperand = OperandWarning.Log },
            new(Op.Exp, "Exp", 1, ShapeRule.First, "Exp", new[] { T("T", "$0.exp()") }, v => System.Math.Exp(v[0]),
                Math + ".Exp($0)") { UnboundedOperand = OperandWarning.Exp },
            Unary(Op.Sqrt, "$0.sqrt()", System.Math.Sqrt, Math + ".Sqrt($0)"),
            Unary(Op.Abs, "$0.abs()", System.Math.Abs, Math + ".Abs($0)"),
            Unary(Op.Square, "$0.square()", v => v * v, Math + ".Pow($0, 2)"),
            new(Op.Pow, "Pow", 2, ShapeRule.First, "Pow", new[] { T("TH", "$0.pow($1)") }, v => System.Math.Pow(v[0], v[1]), Math + ".Pow($0, $1)")
                { Gradient = "G-", Host = new HostOperands(1, "a constant exponent", "exponent") },
            Unary(Op.Sigmoid, "$0.sigmoid()", Sigmoid, LossOps + ".Sigmoid($0)"),
            Unary(Op.LogSigmoid, Functional + ".logsigmoid($0)", v => -Softplus(-v), LossOps + ".LogSigmoid($0)"),
            Unary(Op.Softplus, Functional + ".softplus($0)", Softplus, LossOps + ".Softplus($0)"),
            Unary(Op.Relu, "$0.relu()", v => v > 0 ? v : 0, LossOps + ".Relu($0)"),
            new(Op.Min, "Min", 2, ShapeRule.Broadcast, "Min",
                new[] { T("TH", "$0.clamp_max($1)"), T("HT", "$1.clamp_max($0)"), T("TT", LossOps + ".Minimum($0, $1)") },
                v => System.Math.Min(v[0], v[1]), Math + ".Min($0, $1)") { OperandsAgree = true },
            new(Op.Max, "Max", 2, ShapeRule.Broadcast, "Max",
                new[] { T("TH", "$0.clamp_min($1)"), T("HT", "$1.clamp_min($0)"), T("TT", LossOps + ".Maximum($0, $1)") },
                v => System.Math.Max(v[0], v[1]), Math + ".Max($0, $1)") { OperandsAgree = true },
            new(Op.Clamp, "Clamp", 3, ShapeRule.First, "Clamp",
                new[] { T("THH", "$0.clamp($1, $2)"), T("TTT", LossOps + ".Clamp($0, $1, $2)") },
                v => System.Math.Min(System.Math.Max(v[0], v[1]), v[2]), Math + ".Min(" + Math + ".Max($0, $1), $2)")
            { OperandsAgree = true, OrderedBounds = true },

            Reduction(Op.Mean, ShapeRule.Scalar, "$0.mean()", host: true),
            Reduction(Op.Sum, ShapeRule.Scalar, "$0.sum()", host: true),
            Reduction(Op.MeanPerSample, ShapeRule.PerSample, LossOps + ".MeanPerSample($0)", host: false),
            Reduction(Op.Norm, ShapeRule.PerSample, LossOps + ".PerSampleNorm($0)", host: false, range: RangeRule.Bounds),
            Reduction(Op.Std, ShapeRule.Scalar, LossOps + ".PopulationStd($0)", host: false, gradient: "-", range: RangeRule.Bounds),

            // Every gradient goes through the guarded LossOps.Grad: a bare autograd.grad aborts the process on a native error.
            // Grad(f, at): the gradient's graph runs back through f (at is a leaf, or part of f).
            new(Op.Grad, "Grad", 2, ShapeRule.Second, "Grad", new[] { T("TT", LossOps + ".Grad($0, $1, $loss, $text)") }) { Gradient = "G-" },
            new(Op.Between, "Between", 2, ShapeRule.Broadcast, "Between", new[] { T("TT", LossOps + ".Between(c.Random, $0, $1)") }) { OperandsAgree = true },
            new(Op.UniformPerSample, "UniformPerSample", 1, ShapeRule.FreshPerSample, "UniformPerSample",
                new[] { T("T", "c.Random.PerSampleUniform($0.shape[0], $0.dtype, $0.device)") }, readsValues: false) { Gradient = "-" },
            new(Op.UniformLike, "UniformLike", 1, ShapeRule.First, "UniformLike",
                new[] { T("T", "c.Random.ElementwiseUniform($0.shape, $0.dtype, $0.device)") }, readsValues: false) { Gradient = "-" },
            Reduction(Op.StopGradient, ShapeRule.First, "$0.detach()", host: true, gradient: "-"),
            new(Op.Mmd2, "Mmd2", 2, ShapeRule.Scalar, "Mmd2", new[] { T("TTH*", LossOps + ".Mmd2($0, $1, new double[] { $2* })") }, variadic: true)
            {
                Gradient = "GG-*", OperandsAgree = true, DefaultExtra = new[] { 1.0, 2, 4, 8, 16 },
                Host = new HostOperands(2, "constant kernel widths", "kernel width", w => w > 0 && !double.IsInfinity(w),
                    "use a positive finite width, e.g. 'Mmd2(a, b, 1, 2, 4)'"),
            },
            // Random augmentations (AugmentationDraw in the runtime): gradients flow through them to what they augment.
            new(Op.Augment, "Augment", 1, ShapeRule.First, "Augment", new[] { T("T", LossOps + ".Augment(c.Random, $0)") }),
            new(Op.AugmentShared, "Augment", 2, ShapeRule.First, "Augment", new[] { T("TH", LossOps + ".AugmentWith(c.Random, c.Augmentations, $0, $1)") })
            {
                Gradient = "G-",
                Host = new HostOperands(1, "a constant draw number", "draw number", d => d >= 0 && d <= int.MaxValue && d == System.Math.Floor(d),
                    "use a whole number such as 'Augment(x, 1)'"),
            },
            new(Op.Jitter, "Jitter", 2, ShapeRule.First, "Jitter", new[] { T("TH", LossOps + ".Jitter(c.Random, $0, $1)") })
            {
                Gradient = "G-",
                Host = new HostOperands(1, "a constant standard deviation", "standard deviation", s => s >= 0 && !double.IsInfinity(s),
                    "use a finite σ ≥ 0, e.g. 'Jitter(z, 0.03)'"),
            },
            // Zero almost everywhere: emitted without a graph.
            Unary(Op.Step, LossOps + ".Step($0)", v => v > 0 ? 1 : 0, "($0 > 0 ? 1.0 : 0.0)", gradient: "-"),
            Reduction(Op.BatchMean, ShapeRule.First, LossOps + ".BatchMean($0)", host: true),

            Unary(Op.Tanh, "$0.tanh()", System.Math.Tanh, Math + ".Tanh($0)"),
            Unary(Op.Log1p, "$0.log1p()", Log1p, LossOps + ".Log1p($0)"),
            Unary(Op.Expm1, "$0.expm1()", Expm1, LossOps + ".Expm1($0)"),
            // log Σ exp of one number is the number: host values fold to themselves.
            Reduction(Op.LogSumExp, ShapeRule.Scalar, LossOps + ".LogSumExp($0)", host: true),
            Reduction(Op.LogSumExpPerSample, ShapeRule.PerSample, LossOps + ".LogSumExpPerSample($0)", host: false),
            new(Op.Softmax, "Softmax", 1, ShapeRule.First, "Softmax", new[] { T("T", LossOps + ".Softmax($0)") }),
            new(Op.LogSoftmax, "LogSoftmax", 1, ShapeRule.First, "LogSoftmax", new[] { T("T", LossOps + ".LogSoftmax($0)") }),
            // Max(v), Min(v): reductions over all elements (Max(a, b), Min(a, b) are elementwise, above).
            new(Op.MaxAll, "Max", 1, ShapeRule.Scalar, "Max", new[] { T("T", "$0.max()") }, v => v[0], "$0") { Range = RangeRule.KeepsFirst },
            new(Op.MinAll, "Min", 1, ShapeRule.Scalar, "Min", new[] { T("T", "$0.min()") }, v => v[0], "$0") { Range = RangeRule.KeepsFirst },
            // Class logits [B,K] against int64 labels [B]: per sample; labels carry no gradient.
            new(Op.CrossEntropy, "CrossEntropy", 2, ShapeRule.PerSample, "CrossEntropy", new[] { T("TT", LossOps + ".CrossEntropy($0, $1)") })
                { Gradient = "G-", Range = RangeRule.Bounds, ClassLogitsAndLabels = true },
            new(Op.TopK, "TopK", 2, ShapeRule.TopRows, "TopK", new[] { T("TH", LossOps + ".TopK($0, $1)") })
            {
                Gradient = "G-", Range = RangeRule.KeepsFirst, NeedsPerSampleOperand = true,
                Host = new HostOperands(1, "a constant, hyperparameter or state fraction", "fraction", f => f > 0 && f <= 1,
                    "use a fraction in (0, 1], e.g. 'TopK(D(G(z)), 0.5)'"),
            },

            // Fused kernels: introduced by the optimiser, never written by users (no vocabulary word).
            new(Op.BceWithLogitsMean, null, 2, ShapeRule.Scalar, "BinaryCrossEntropyWithLogits",
                new[] { T("T?", LossOps + ".BinaryCrossEntropyWithLogits($0, $1)") }),
            new(Op.MseMean, null, 2, ShapeRule.Scalar, "MseLoss", new[] { T("T?", LossOps + ".MseLoss($0, $1)") }),
            new(Op.L1Mean, null, 2, ShapeRule.Scalar, "L1Loss", new[] { T("T?", LossOps + ".L1Loss($0, $1)") }),
            new(Op.CrossEntropyMean, null, 2, ShapeRule.Scalar, "CrossEntropyLoss", new[] { T("TT", LossOps + ".CrossEntropyMean($0, $1)") })
                { Gradient = "G-", Range = RangeRule.Bounds, ClassLogitsAndLabels = true },
            new(Op.MeanSquaredNorm, null, 1, ShapeRule.Scalar, "MeanSquaredNorm", new[] { T("T", LossOps + ".MeanSquaredNorm($0)") })
                { Range = RangeRule.Bounds },
        };

        var table = new Operation[Enum.GetValues(typeof(Op)).Length];
        foreach (var op in ops)
        {
            if (table[(int)op.Op] is not null) throw new InvalidOperationException("Two table entries for " + op.Op);
            table[(int)op.Op] = op;
        }
        for (var i = 0; i < table.Length; i++)
            if (table[i] is null) throw new InvalidOperationException("No table entry for " + (Op)i);
        return table;
    }

    private static Dictionary<string, List<Operation>> ByWord(Operation[] table)
    {
        var byWord = new Dictionary<string, List<Operation>>(StringComparer.Ordinal);
        foreach (var op in table)
        {
            if (op.Word is null) continue;
            if (!byWord.TryGetValue(op.Word, out var list)) byWord[op.Word] = list = new List<Operation>();
            if (list.Exists(o => o.Arity == op.Arity)) throw new InvalidOperationException("Two table entries for " + op.Word + " with " + op.Arity
                + " operands");
            list.Add(op);
        }
        return byWord;
    }

    /// <summary>σ(t), as the runtime's host helper computes it.</summary>
    private static double Sigmoid(double t) => t >= 0 ? 1 / (1 + System.Math.Exp(-t)) : System.Math.Exp(t) / (1 + System.Math.Exp(t));

    /// <summary>log(1 + t), accurate near 0 (Goldberg 1991, "What every computer scientist should know about floating-point arithmetic", Thm. 4), as the
    /// runtime's host helper computes it.</summary>
    private static double Log1p(double t)
    {
        var u = 1 + t;
        if (u == 1) return t;
        if (double.IsInfinity(u)) return u;
        return System.Math.Log(u) * t / (u - 1);
    }

    /// <summary>e^t - 1, accurate near 0 (Kahan's formula), as the runtime's host helper computes it.</summary>
    private static double Expm1(double t)
    {
        var u = System.Math.Exp(t);
        if (u == 1) return t;
        var um1 = u - 1;
        if (um1 == -1 || double.IsInfinity(u)) return um1;
        return um1 * t / System.Math.Log(u);
    }

    /// <summary>log(1 + e^t), stable for any t.</summary>
    private static double Softplus(double t) => System.Math.Max(t, 0) + System.Math.Log(1 + System.Math.Exp(-System.Math.Abs(t)));

    /// <summary>
    /// The index of the form that takes operands on the host where <paramref name="host"/> is true: the first
    /// exact fit, else the first form that fits once host operands become constant tensors; -1 when none does
    /// (a tensor where the form needs a host double).
    /// </summary>
    public static int ChooseForm(Operation op, IReadOnlyList<bool> host, out bool[] asTensor)
    {
        asTensor = new bool[host.Count];
        for (var pass = 0; pass < 2; pass++)
        {
            for (var f = 0; f < op.Forms.Count; f++)
            {
                var pattern = op.Forms[f].Operands;
                var fits = true;
                for (var i = 0; i < host.Count && fits; i++)
                {
                    var want = Letter(pattern, i);
                    fits = want switch
                    {
                        '?' => true,
                        'H' => host[i],
                        'T' => !host[i] || pass == 1,
                        _ => false,
                    };
                }
                if (!fits) continue;
                for (var i = 0; i < host.Count; i++) asTensor[i] = host[i] && Letter(pattern, i) == 'T';
                return f;
            }
        }
        return -1;
    }

    /// <summary>The letter of operand <paramref name="i"/> in a pattern of one letter per operand (a trailing <c>*</c> repeats the last).</summary>
    internal static char Letter(string pattern, int i)
    {
        var repeat = pattern.EndsWith("*", StringComparison.Ordinal);
        var letters = repeat ? pattern.Length - 1 : pattern.Length;
        if (i < letters) return pattern[i];
        return repeat && letters > 0 ? pattern[letters - 1] : '\0';
    }

    /// <summary>
    /// Fills a call text: <c>$0</c>... with <paramref name="operands"/> (parenthesised unless the text is
    /// atomic or the placeholder is a whole argument), <c>$2*</c> with operands 2.. joined by commas, and
    /// <c>$name</c> placeholders from <paramref name="named"/>.
    /// </summary>
    public static string Fill(string template, IReadOnlyList<string> operands, params (string Name, string Value)[] named)
    {
        var sb = new StringBuilder();
        for (var i = 0; i < template.Length; i++)
        {
            var ch = template[i];
            if (ch != '$' || i + 1 >= template.Length)
            {
                sb.Append(ch);
                continue;
            }
            var start = i + 1;
            var end = start;
            if (char.IsDigit(template[start]))
            {
                while (end < template.Length && char.IsDigit(template[end])) end++;
                var index = int.Parse(template.Substring(start, end - start), System.Globalization.CultureInfo.InvariantCulture);
                if (end < template.Length && template[end] == '*')
                {
                    for (var k = index; k < operands.Count; k++) sb.Append(k > index ? ", " : "").Append(operands[k]);
                    i = end;
                    continue;
                }
                var text = operands[index];
                sb.Append(IsWholeArgument(template, i, end) ? text : Parenthesize(text));
                i = end - 1;
                continue;
            }
            while (end < template.Length && char.IsLetter(template[end])) end++;
            var name = template.Substring(start, end - start);
            var found = false;
            foreach (var (n, v) in named)
            {
                if (n != name) continue;
                sb.Append(v);
                found = true;
                break;
            }
            if (!found) throw new InvalidOperationException("No value for $" + name + " in " + template);
            i = end - 1;
        }
        return sb.ToString();
    }

    // "$0" alone, or between "(" / ", " and ")" / ",": nothing binds tighter than the argument list.
    private static bool IsWholeArgument(string template, int dollar, int end)
    {
        if (dollar == 0 && end == template.Length) return true;
        var before = dollar > 0 ? template[dollar - 1] : '\0';
        if (before == ' ' && dollar > 1) before = template[dollar - 2];
        var after = end < template.Length ? template[end] : '\0';
        return before is '(' or ',' && after is ')' or ',';
    }

    /// <summary>Wraps a C# expression in parentheses unless it is a name, number, member access or call chain.</summary>
    public static string Parenthesize(string expression)
    {
        if (expression.Length == 0) return expression;
        var depth = 0;
        for (var i = 0; i < expression.Length; i++)
        {
            var ch = expression[i];
            if (ch is '(' or '[') depth++;
            else if (ch is ')' or ']') depth--;
            else if (depth == 0 && !(char.IsLetterOrDigit(ch) || ch is '_' or '.' or ':')) return "(" + expression + ")";
            else if (depth == 0 && ch == '.' && i == 0) return "(" + expression + ")";
        }
        return expression;
    }
}
