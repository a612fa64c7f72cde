using GanDsl.Generator.Helpers;

namespace GanDsl.Generator.Ir;

/// <summary>
/// Everything the emitter needs to write one loss class. Immutable and structurally equatable all the
/// way down (records, <see cref="EquatableArray{T}"/>, strings, doubles, enums): it is the incremental
/// pipeline's cache boundary, so two parses of an unchanged loss compare equal and skip emission.
/// Never holds Roslyn symbols, syntax, locations or diagnostics.
/// </summary>
/// <param name="Namespace">The declaring namespace, or "" for the global namespace.</param>
/// <param name="TypeName">The class's simple name.</param>
/// <param name="LossName">The canonical name from <c>[GanLoss("...")]</c>.</param>
/// <param name="Summary">The class's doc-comment summary as plain text.</param>
/// <param name="Discriminator">The critic-side loss, or null when the loss has no critic step.</param>
/// <param name="Generator">The generator-side loss.</param>
/// <param name="Networks">Networks the loss uses (generator-role first, then critics, each in order of first use).</param>
/// <param name="PartialNetworks">Declared networks whose partial method the generator implements.</param>
/// <param name="Monitors">Scalar macro properties of the class (BEGAN's M): evaluated without gradients after each critic step and reported as terms.</param>
/// <param name="SeparateForwardPasses">True under <c>[SeparateForwardPasses]</c>: no network applications share a forward pass.</param>
internal sealed record LossClassSpec(
    string Namespace,
    string TypeName,
    string LossName,
    string Summary,
    LossSpec? Discriminator,
    LossSpec Generator,
    EquatableArray<HyperSpec> Hypers,
    EquatableArray<StateSpec> States,
    EquatableArray<NetworkSpec> Networks,
    EquatableArray<PartialNetworkSpec> PartialNetworks,
    int CriticSteps,
    EquatableArray<ClipSpec> Clipping,
    OptimizerSpec Optimizer,
    EquatableArray<LossSpec> Monitors,
    bool SeparateForwardPasses = false,
    EquatableArray<WarnedSpec> Warnings = default)
{
    /// <summary>The class heads the loss declares, in declaration order per network.</summary>
    public EquatableArray<ClassHeadSpec> ClassHeads { get; init; }

    /// <summary>True when the loss reads class labels (y, yz, a label-taking network or a class head): LossInfo.UsesLabels.</summary>
    public bool UsesLabels { get; init; }

    /// <summary>The objective as mathematics (<see cref="Passes.FormulaRenderer"/>), rendered from the parsed IR before the optimiser rewrites it; null until
    /// the pipeline sets it.</summary>
    public FormulaText? Formula { get; init; }

    /// <summary>Networks with their own optimizer (<c>[Adam(4e-4, 0, 0.9, Network = "D")]</c>), in the loss's network order; the others use
    /// <see cref="Optimizer"/>.</summary>
    public EquatableArray<NetworkOptimizerSpec> NetworkOptimizers { get; init; } = EquatableArray<NetworkOptimizerSpec>.Empty;

    public string FullTypeName => Namespace.Length == 0 ? TypeName : Namespace + "." + TypeName;

    public string HintName => FullTypeName + ".g.cs";
}

/// <summary>
/// A sub-expression of a loss the build warned about (GAN0023, GAN0026): carried into <c>LossInfo.Warnings</c>, so a
/// run that stops on a non-finite loss names it and its fix instead of blaming the learning rate.
/// </summary>
internal sealed record WarnedSpec(bool InDiscriminatorLoss, string Id, string Expression, string Fix);

/// <summary>A loss's objective as text a paper or a terminal can show: Unicode (also valid Markdown) and a LaTeX fragment.</summary>
internal sealed record FormulaText(string Unicode, string Latex);

/// <summary>One loss member: its name, its source text (echoed in comments and LossInfo) and its IR.</summary>
internal sealed record LossSpec(string MemberName, string SourceText, ExprNode Expression);

/// <summary>A hyperparameter with its default and description.</summary>
internal sealed record HyperSpec(string Name, double Default, string? Description);

/// <summary>A state variable: initial value, when it updates and the update's source text and IR.</summary>
internal sealed record StateSpec(string Name, double Initial, StateUpdateTiming Timing, string UpdateText, ExprNode Update);

/// <summary>A network: its name (the <c>StepContext.Network</c> key), role and output kind.</summary>
/// <param name="TakesLabels">True when the loss applies it with class labels (<c>D(x, y)</c>).</param>
/// <param name="ClassHeads">The number of <c>[ClassHead]</c>s computed in its forward pass (its output is then [B, 1 + H·K]).</param>
internal sealed record NetworkSpec(string Name, NetworkRole Role, NetworkOutput Output, bool TakesLabels = false, int ClassHeads = 0);

/// <summary>A class head (<c>[ClassHead("D")] Q</c>): its name, the network computing it and its index among that network's heads.</summary>
internal sealed record ClassHeadSpec(string Name, string Network, int Index);

/// <summary>A declared network's (or class head's) partial method the generator implements (modifiers and parameters as the user wrote them).</summary>
/// <param name="LabelParameterName">The second parameter of a network declared with labels (<c>E(Expr v, Expr label)</c>), else null.</param>
/// <param name="HeadOf">For a class head, the network whose forward pass computes it, else null.</param>
internal sealed record PartialNetworkSpec(string Name, string Modifiers, string ParameterName, string? LabelParameterName = null, string? HeadOf = null);

/// <summary>Clamp a network's parameters to [Min, Max] after each critic step.</summary>
internal sealed record ClipSpec(string Network, double Min, double Max);

/// <summary>The optimizer the paper trains with.</summary>
internal sealed record OptimizerSpec(string Kind, double LearningRate, double Beta1, double Beta2, double Alpha)
{
    public static OptimizerSpec Standard { get; } = new("adam", 2e-4, 0.5, 0.999, 0.99);
}

/// <summary>A network's own optimizer, over the loss's default (the two-time-scale update rule).</summary>
internal sealed record NetworkOptimizerSpec(string Network, OptimizerSpec Optimizer);

/// <summary>Which step code is written for: decides what is frozen.</summary>
internal enum StepKind { Critic, Generator, EndOfEpoch }

/// <summary>The shape class of a value, from smallest to largest under broadcasting.</summary>
internal enum Shape
{
    /// <summary>One number.</summary>
    Scalar,
    /// <summary>One number per sample, [B].</summary>
    PerSample,
    /// <summary>A feature vector per sample, [B,F].</summary>
    Features,
    /// <summary>A batch of samples, [B,...].</summary>
    Samples,
    /// <summary>
    /// Class labels, int64 [B] (<c>y</c>, <c>yz</c>): no numbers, so outside the broadcasting order above; the parser
    /// lets them only into a network's label argument and CrossEntropy's labels.
    /// </summary>
    Labels,
    /// <summary>Class logits, [B,K]: a class head or a ClassLogits network. Broadcasts like features (a per-sample value scales each row).</summary>
    ClassLogits,
}

/// <summary>A loss class with errors: only its declared networks' partial methods are written, so no compiler error piles onto the GAN diagnostics.</summary>
internal sealed record PartialNetworksSpec(string Namespace, string TypeName, EquatableArray<PartialNetworkSpec> Networks)
{
    public string HintName => (Namespace.Length == 0 ? TypeName : Namespace + "." + TypeName) + ".g.cs";
}
