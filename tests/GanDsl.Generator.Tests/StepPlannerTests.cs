using System.Reflection;
using GanDsl.Generator.Ir;
using GanDsl.Generator.Passes;
using GanDsl.Testing;
using static GanDsl.Generator.GanLossGenerator;

namespace GanDsl.Generator.Tests;

/// <summary>The operation table and the step planner, below the emitter: what each step decides.</summary>
public sealed class StepPlannerTests
{
    private static LossClassSpec OptimizedSpec(string source, string type)
    {
        var run = TestSupport.RunAndCheck(TestSupport.Prelude + source);
        return run.Result.Results[0].TrackedSteps[Steps.Optimized].SelectMany(s => s.Outputs)
            .Select(o => ((OptimizedSpec)o.Value).Spec).Single(s => s.TypeName == type);
    }

    private static readonly Lazy<List<LossClassSpec>> s_zoo = new(() =>
        GeneratorTestDriver.Run(GeneratorTestDriver.CreateCompilation(TestSupport.LossProjectSources()))
            .Result.Results[0].TrackedSteps[Steps.Optimized].SelectMany(s => s.Outputs).Select(o => ((OptimizedSpec)o.Value).Spec).ToList());

    private static LossClassSpec ZooSpec(string type) => s_zoo.Value.Single(s => s.TypeName == type);

    private static string Printed(PlannedValue v) => Printer.Print(v.Node);

    [Fact]
    public void Table_HasAnEntryForEveryVocabularyOperation_AndNoWordOutsideTheVocabulary()
    {
        var methods = typeof(Vocabulary).GetMethods(BindingFlags.Public | BindingFlags.Static).Where(m => !m.IsSpecialName).ToList();
        var vocabulary = methods.Select(m => m.Name).ToHashSet(StringComparer.Ordinal);
        var networks = new[] { "D", "G", "AE" };
        // Every overload is an operation of its arity (Max(v) reduces, Max(a, b) is elementwise).
        foreach (var method in methods.Where(m => !networks.Contains(m.Name)))
            Assert.True(Operations.FromWord(method.Name, method.GetParameters().Length) is not null, $"vocabulary word '{method.Name}' with {method.GetParameters().Length} operands has no operation");
        foreach (var op in Operations.All.Where(o => o.Word is not null))
            Assert.Contains(methods, m => m.Name == op.Word && m.GetParameters().Length == op.Arity + (op.Variadic ? 1 : 0));
        Assert.Equal(Enum.GetValues<Op>().Length, Operations.All.Count);
        Assert.Null(Operations.FromWord("BceWithLogitsMean", 2));   // fused kernels are not words users write
    }

    [Fact]
    public void Table_FoldsExactlyTheOperationsItCanWriteOnTheHost()
    {
        foreach (var op in Operations.All)
        {
            Assert.Equal(op.IsHostComputable, op.Fold is not null);
            Assert.NotEmpty(op.Forms);
        }
        Assert.Equal(0.5, Operations.Of(Op.Sigmoid).Fold!([0]));
        Assert.Equal(1, Operations.Of(Op.Clamp).Fold!([3, 0, 1]));
    }

    [Theory]
    [InlineData("Min", false, true, "$0.clamp_max($1)")]
    [InlineData("Min", true, false, "$1.clamp_max($0)")]
    [InlineData("Max", false, false, "global::GanDsl.LossOps.Maximum($0, $1)")]
    [InlineData("Add", false, true, "$0 + $1")]
    public void ChooseForm_PicksTheFormThatTakesHostOperandsAsDoubles(string op, bool firstHost, bool secondHost, string call)
    {
        var operation = Operations.Of(Enum.Parse<Op>(op));
        var form = Operations.ChooseForm(operation, [firstHost, secondHost], out var asTensor);
        Assert.Equal(call, operation.Forms[form].Call);
        Assert.All(asTensor, Assert.False);
    }

    [Fact]
    public void ChooseForm_TurnsAHostOperandIntoATensor_OnlyWhenNoFormTakesIt()
    {
        var clamp = Operations.Of(Op.Clamp);
        var form = Operations.ChooseForm(clamp, [false, true, false], out var asTensor);
        Assert.Equal("TTT", clamp.Forms[form].Operands);
        Assert.Equal(new[] { false, true, false }, asTensor);
        Assert.Equal(-1, Operations.ChooseForm(Operations.Of(Op.Pow), [false, false], out _));   // a tensor exponent has no form
    }

    [Theory]
    [InlineData("$0.log()", "a + b", "(a + b).log()")]
    [InlineData("$0.log()", "netD.call(t0)", "netD.call(t0).log()")]
    [InlineData("F($0)", "a + b", "F(a + b)")]
    [InlineData("$0 * 2", "-1d", "(-1d) * 2")]
    [InlineData("$0 * 2", "(k > 0 ? 1.0 : 0.0)", "(k > 0 ? 1.0 : 0.0) * 2")]
    [InlineData("$0", "a + b", "a + b")]
    public void Fill_ParenthesisesCompoundOperands_UnlessTheyAreAWholeArgument(string template, string operand, string expected) =>
        Assert.Equal(expected, Operations.Fill(template, [operand]));

    [Fact]
    public void Fill_JoinsTheRestAndNamedPlaceholders() =>
        Assert.Equal("Mmd2(a, b, new double[] { 1d, 2d }, \"n\")",
            Operations.Fill("Mmd2($0, $1, new double[] { $2* }, $name)", ["a", "b", "1d", "2d"], ("name", "\"n\"")));

    [Fact]
    public void WganGp_CriticStep_RunsGWithoutGrad_MakesTheInterpolateALeaf_AndReportsGpAsATensor()
    {
        var plan = StepPlanner.Plan(ZooSpec("WganGp"));
        var critic = plan.Discriminator!;

        Assert.Empty(critic.Frozen);
        Assert.Equal(new[] { "Lambda" }, critic.Hypers);
        Assert.Equal(new[] { "G", "D" }, critic.Networks);
        var g = Assert.Single(critic.Values.OfType<NetworkValue>(), v => v.Network == "G");
        Assert.True(g.NoGrad);
        Assert.False(g.GradLeaf);
        var leaf = Assert.Single(critic.Values, v => v.GradLeaf);
        Assert.Equal("Between(x, G(z))", Printed(leaf));
        Assert.Contains(critic.Values.OfType<OperationValue>(), v => v.Op == Op.Grad);

        var term = Assert.Single(critic.Terms);
        Assert.Equal("Gp", term.Name);
        Assert.IsType<ValueOperand>(term.Value);
        // Numbered in evaluation order; a shared forward pass holds its members' numbers.
        Assert.Equal(Enumerable.Range(0, 13), critic.Values.SelectMany(Ids).Order());
    }

    private static IEnumerable<int> Ids(PlannedValue v) => v is SharedForwardValue s ? s.Members.Select(m => m.Id) : new[] { v.Id };

    [Fact]
    public void WganGp_CriticStep_SharesOnePassOfD_ForRealAndFake_ButNotForThePenaltysInterpolate()
    {
        var critic = StepPlanner.Plan(ZooSpec("WganGp")).Discriminator!;
        var shared = Assert.Single(critic.Values.OfType<SharedForwardValue>());
        Assert.Equal("D", shared.Network);
        Assert.False(shared.NoGrad);
        Assert.Equal(new[] { "D(G(z))", "D(x)" }, shared.Members.Select(m => Printer.Print(m.Node)));
        var penalty = Assert.Single(critic.Values.OfType<NetworkValue>(), v => v.Network == "D");
        Assert.Equal("D(Between(x, G(z)))", Printed(penalty));
        Assert.Contains("a gradient runs back through it", penalty.OwnPass);

        var code = Emitter.Write(ZooSpec("WganGp"));
        Assert.Contains("var sharedD = global::GanDsl.LossOps.Forward(c, netD, t0, c.Real);", code);
        Assert.Contains("// t1 = D(G(z)), t3 = D(x): one forward pass of D on these batches together when D is batch-independent at run time", code);
    }

    [Fact]
    public void NonSaturating_CriticTail_IsOneCallOnTheSharedOutput()
    {
        var critic = StepPlanner.Plan(ZooSpec("NonSaturating")).Discriminator!;
        var shared = Assert.Single(critic.Values.OfType<SharedForwardValue>());
        Assert.Equal(new[] { "D(x)", "D(G(z))" }, shared.Members.Select(m => Printer.Print(m.Node)));
        Assert.Equal(shared.Members.Select(m => m.Id), shared.Unread);   // nothing reads the parts on their own
        var tail = Assert.Single(critic.Values.OfType<SharedTailValue>());
        Assert.Equal(shared.Id, tail.SharedId);
        Assert.Equal(new[] { 1.0, 0.0 }, tail.Targets.Select(t => ((ConstNode)((HostOperand)t).Node).Value));
        Assert.DoesNotContain(critic.Values.OfType<OperationValue>(), v => v.Op == Op.BceWithLogitsMean);
        Assert.Equal(new ValueOperand(tail.Id), critic.Result);

        var code = Emitter.Write(ZooSpec("NonSaturating"));
        Assert.Contains("var t5 = global::GanDsl.LossOps.BinaryCrossEntropyWithLogitsOfParts(sharedD, \"D\", 1d, 0d);", code);
        Assert.Contains("// D(x), D(G(z)): one forward pass of D", code);
        Assert.DoesNotContain("sharedD[", code);
    }

    [Fact]
    public void CriticTail_FollowsThePassesOrder_AndKeepsItsTermsWhenTheStepReportsThem()
    {
        var spec = OptimizedSpec("""
            /// <summary>Tails.</summary>
            [GanLoss("tails")]
            public partial class Tails
            {
                static Expr Fake => Mean(Softplus(D(G(z))));
                static Expr Real => Mean(Softplus(-D(x)));
                [DiscriminatorLoss] static Loss Dl => Fake + Real;
                [GeneratorLoss] static Loss Gl => Mean(Softplus(-D(G(z)))) + Mean(Softplus(D(x)));
            }
            """, "Tails");
        var plan = StepPlanner.Plan(spec);
        // The critic reports Fake and Real, so each keeps its own call.
        Assert.Empty(plan.Discriminator!.Values.OfType<SharedTailValue>());
        Assert.Equal(new[] { "Fake", "Real" }, plan.Discriminator.Terms.Select(t => t.Name));
        // The generator's sum is fused, its targets in the pass's member order (D(G(z)) first).
        var shared = Assert.Single(plan.Generator.Values.OfType<SharedForwardValue>(), v => v.Network == "D");
        Assert.Equal(new[] { "D(G(z))", "D(x)" }, shared.Members.Select(m => Printer.Print(m.Node)));
        var tail = Assert.Single(plan.Generator.Values.OfType<SharedTailValue>());
        Assert.Equal(new[] { 1.0, 0.0 }, tail.Targets.Select(t => ((ConstNode)((HostOperand)t).Node).Value));
        AssertEveryValueFollowsWhatItReads(plan.Generator);
    }

    [Fact]
    public void CramerGan_AnApplicationInsideTheGradientsValue_ThatTheGradientDoesNotRunThrough_IsShared()
    {
        // The penalty's Grad(Surrogate(x̂), x̂) contains F(G(z2)) and G(z), but its gradient runs back only through F(x̂).
        var critic = StepPlanner.Plan(ZooSpec("CramerGan")).Discriminator!;
        var sharedF = Assert.Single(critic.Values.OfType<SharedForwardValue>(), v => v.Network == "F");
        Assert.Equal(new[] { "F(x)", "F(G(z2))", "F(G(z))" }, sharedF.Members.Select(m => Printer.Print(m.Node)));
        var sharedG = Assert.Single(critic.Values.OfType<SharedForwardValue>(), v => v.Network == "G");
        Assert.True(sharedG.NoGrad);
        var own = Assert.Single(critic.Values.OfType<NetworkValue>(), v => v.Network == "F");
        Assert.Equal("F(Between(x, G(z)))", Printed(own));
        Assert.Contains("a gradient runs back through it", own.OwnPass);
    }

    [Fact]
    public void SeparateForwardPasses_KeepsEveryApplicationApart_AndSaysWhy()
    {
        var spec = OptimizedSpec("""
            /// <summary>Separate.</summary>
            [GanLoss("separate"), SeparateForwardPasses]
            public partial class Separate
            {
                [DiscriminatorLoss] static Loss Dl => Mean(Softplus(-D(x))) + Mean(Softplus(D(G(z))));
                [GeneratorLoss] static Loss Gl => Mean(Softplus(-D(G(z))));
            }
            """, "Separate");
        var critic = StepPlanner.Plan(spec).Discriminator!;
        Assert.Empty(critic.Values.OfType<SharedForwardValue>());
        Assert.All(critic.Values.OfType<NetworkValue>().Where(v => v.Network == "D"), v => Assert.Equal("[SeparateForwardPasses]", v.OwnPass));
        Assert.DoesNotContain("LossOps.Forward(", Emitter.Write(spec));
    }

    [Fact]
    public void SharedPass_ComesAfterEveryBatchItReads_AndTheOtherValuesKeepTheirOrder()
    {
        // D(x) is evaluated before G(z) exists: the shared pass waits for G(z); Mean(D(x)) moves after it.
        var spec = OptimizedSpec("""
            /// <summary>Order.</summary>
            [GanLoss("order")]
            public partial class Order
            {
                [DiscriminatorLoss] static Loss Dl => Mean(D(x)) * 0.5 - Mean(D(G(z))) + Mean(D(G(z2)));
                [GeneratorLoss] static Loss Gl => -Mean(D(G(z)));
            }
            """, "Order");
        var critic = StepPlanner.Plan(spec).Discriminator!;
        var shared = Assert.Single(critic.Values.OfType<SharedForwardValue>(), v => v.Network == "D");
        Assert.Equal(new[] { "D(x)", "D(G(z))", "D(G(z2))" }, shared.Members.Select(m => Printer.Print(m.Node)));
        var sharedG = Assert.Single(critic.Values.OfType<SharedForwardValue>(), v => v.Network == "G");
        Assert.True(sharedG.NoGrad);   // G(z) and G(z2) share a pass too, without gradients
        AssertEveryValueFollowsWhatItReads(critic);
    }

    [Fact]
    public void ApplicationFedByAnotherOfTheSameNetwork_HasItsOwnPass()
    {
        var spec = OptimizedSpec("""
            /// <summary>Chained.</summary>
            [GanLoss("chained")]
            public partial class Chained
            {
                [DiscriminatorLoss] static Loss Dl => Mean(Norm(AE(AE(x)) - x)) + Mean(Norm(AE(G(z)) - G(z)));
                [GeneratorLoss] static Loss Gl => Mean(Norm(AE(G(z)) - G(z)));
            }
            """, "Chained");
        var critic = StepPlanner.Plan(spec).Discriminator!;
        var own = critic.Values.OfType<NetworkValue>().Where(v => v.Network == "AE").ToList();
        Assert.Contains(own, v => v.OwnPass is { } why && why.Contains("computed from another application", StringComparison.Ordinal));
        AssertEveryValueFollowsWhatItReads(critic);
    }

    [Fact]
    public void ThousandsOfApplications_ShareOnePass_PlannedInLinearTime()
    {
        // A balanced sum (depth 12, far below the depth limit) of 4,096 distinct critic applications: a quadratic
        // grouping rule would take minutes here and hang the compiler.
        static string Sum(int from, int count) => count == 1
            ? $"Mean(D(x * {from + 2}))"
            : "(" + Sum(from, count / 2) + " + " + Sum(from + count / 2, count - count / 2) + ")";
        var spec = OptimizedSpec($$"""
            /// <summary>Wide.</summary>
            [GanLoss("wide")]
            public partial class Wide
            {
                [DiscriminatorLoss] static Loss Dl => {{Sum(0, 4096)}} - Mean(D(G(z)));
                [GeneratorLoss] static Loss Gl => -Mean(D(G(z)));
            }
            """, "Wide");
        var critic = StepPlanner.Plan(spec).Discriminator!;
        var shared = Assert.Single(critic.Values.OfType<SharedForwardValue>());
        Assert.Equal(4097, shared.Members.Count);
        AssertEveryValueFollowsWhatItReads(critic);
    }

    [Fact]
    public void EveryZooStep_ComputesEachValueAfterWhatItReads()
    {
        foreach (var spec in s_zoo.Value)
        {
            var plan = StepPlanner.Plan(spec);
            foreach (var step in new[] { plan.Discriminator, plan.Generator, plan.EndOfEpoch })
                if (step is not null) AssertEveryValueFollowsWhatItReads(step);
        }
    }

    private static void AssertEveryValueFollowsWhatItReads(StepPlan step)
    {
        var computed = new HashSet<int>();
        foreach (var value in step.Values)
        {
            foreach (var id in ForwardPasses.Dependencies(value)) Assert.True(computed.Contains(id), $"t{value.Id} reads t{id} before it is computed");
            foreach (var id in Ids(value)) computed.Add(id);
        }
    }

    [Fact]
    public void WganGp_GeneratorStep_FreezesTheCritic_AndRunsGWithGrad()
    {
        var generator = StepPlanner.Plan(ZooSpec("WganGp")).Generator;
        Assert.Equal(new[] { "D" }, generator.Frozen);
        Assert.All(generator.Values.OfType<NetworkValue>(), v => Assert.False(v.NoGrad));
        Assert.Empty(generator.Terms);
        Assert.Empty(generator.Updates);
    }

    [Fact]
    public void R2_TheGeneratorsOutputIsBothConstantAndALeaf()
    {
        var critic = StepPlanner.Plan(ZooSpec("R2Regularized")).Discriminator!;
        var g = Assert.Single(critic.Values.OfType<NetworkValue>(), v => v.Network == "G");
        Assert.True(g.NoGrad);
        Assert.True(g.GradLeaf);
    }

    [Fact]
    public void Began_CriticStep_UpdatesKAndReportsM_AfterBackward()
    {
        var critic = StepPlanner.Plan(ZooSpec("Began")).Discriminator!;
        Assert.Equal(new[] { "L(x)", "L(G(z))", "k", "M" }, critic.Terms.Select(t => t.Name));
        Assert.IsType<HostOperand>(critic.Terms[2].Value);   // the state value before the update: a double
        var update = Assert.Single(critic.Updates);
        Assert.Equal("k", update.Name);
        Assert.IsType<ValueOperand>(update.Value);           // a tensor, read on the host in the tail
        Assert.NotEmpty(update.Values);
        var monitor = Assert.Single(critic.Monitors);
        Assert.Equal("M", monitor.Name);
        // Tail values continue the numbering and reuse the loss's values (L(x) is not recomputed).
        Assert.True(update.Values[0].Id > critic.Values[^1].Id);
        Assert.DoesNotContain(update.Values.Concat(monitor.Values), v => critic.Values.Any(b => b.Node.Equals(v.Node)));
    }

    [Fact]
    public void PerSampleValueTimesABatch_BroadcastsPerSample()
    {
        var spec = OptimizedSpec("""
            /// <summary>Broadcast.</summary>
            [GanLoss("broadcast")]
            public partial class Broadcast
            {
                [DiscriminatorLoss] static Loss Dl => Mean(Norm(D(x) * x)) + Mean(D(G(z)));
                [GeneratorLoss] static Loss Gl => -Mean(D(G(z)));
            }
            """, "Broadcast");
        var critic = StepPlanner.Plan(spec).Discriminator!;
        var mul = Assert.Single(critic.Values.OfType<OperationValue>(), v => v.Op == Op.Mul);
        var perSample = Assert.IsType<PerSampleOperand>(mul.Operands[0]);
        Assert.Equal(new InputOperand(InputKind.Real), perSample.Like);
        Assert.Equal(new InputOperand(InputKind.Real), mul.Operands[1]);
    }

    private const string GradNormSource = """
        /// <summary>Gradient-norm monitor and state.</summary>
        [GanLoss("grad-norm")]
        public partial class GradNorm
        {
            [State(0, StateUpdateTiming.EndOfEpoch)] static Expr Gn => Mean(Norm(Grad(D(G(z)), G(z))));
            static Expr Gx => Mean(Norm(Grad(D(x), x)));
            [DiscriminatorLoss] static Loss Dl => Mean(Softplus(-D(x))) + Mean(Softplus(D(G(z))));
            [GeneratorLoss] static Loss Gl => Mean(Softplus(-D(G(z))));
        }
        """;

    [Fact]
    public void GradInAMonitor_IsPlannedBeforeBackward_WithGradientsOn_AndTheTailReadsIt()
    {
        var plan = StepPlanner.Plan(OptimizedSpec(GradNormSource, "GradNorm"));
        var critic = plan.Discriminator!;
        var grad = Assert.Single(critic.TailGradients.OfType<OperationValue>(), v => v.Op == Op.Grad);
        Assert.Equal("Grad(D(x), x)", Printed(grad));
        Assert.DoesNotContain(critic.Values, v => v.Node is CallNode { Op: Op.Grad });   // not part of the loss
        Assert.True(Assert.Single(critic.Values.OfType<LeafInputValue>()).GradLeaf);    // x, made a leaf where the loss first reads it
        var monitor = Assert.Single(critic.Monitors);
        Assert.Equal("Gx", monitor.Name);
        Assert.DoesNotContain(monitor.Values, v => v.Node is CallNode { Op: Op.Grad });  // the tail reads the value taken before backward
        Assert.Equal(new[] { "Gx" }, critic.Terms.Select(t => t.Name));

        // The end-of-epoch update's Grad runs G with a graph (not the critic step) and before the no-grad tail.
        var epoch = plan.EndOfEpoch!;
        Assert.Single(epoch.TailGradients.OfType<OperationValue>(), v => v.Op == Op.Grad);
        Assert.All(epoch.TailGradients.OfType<NetworkValue>(), v => Assert.False(v.NoGrad));

        var code = Emitter.Write(plan);
        var step = code[code.IndexOf("DiscriminatorStep(", StringComparison.Ordinal)..code.IndexOf("GeneratorStep(", StringComparison.Ordinal)];
        Assert.True(step.IndexOf("LossOps.Grad(", StringComparison.Ordinal) < step.IndexOf("loss.backward()", StringComparison.Ordinal));
        Assert.True(step.IndexOf("loss.backward()", StringComparison.Ordinal) < step.IndexOf("// State updates and monitors", StringComparison.Ordinal));
        var endOfEpoch = code[code.IndexOf("EndOfEpoch(", StringComparison.Ordinal)..];
        Assert.True(endOfEpoch.IndexOf("LossOps.Grad(", StringComparison.Ordinal) < endOfEpoch.IndexOf("// New state values", StringComparison.Ordinal));
        Assert.Equal(1, code.Split("LossOps.Grad(").Length - 2);   // two Grads, each taken once
    }

    [Fact]
    public void Planner_WalksAnyDepth_WithoutRecursion()
    {
        // 100,000 nested operations (far past GAN0018's limit, which the parser enforces) on a 256 KB stack:
        // a recursive walk would overflow it. Hashes are cached bottom-up as the tree is built.
        var spec = ZooSpec("NonSaturating");
        ExprNode deep = new ApplyNode("D", new ApplyNode("G", new InputNode(InputKind.Noise)));
        deep.GetHashCode();
        for (var i = 0; i < 100_000; i++)
        {
            deep = new CallNode(i % 2 == 0 ? Op.Abs : Op.Neg, deep);
            deep.GetHashCode();
        }
        deep = new CallNode(Op.Mean, deep);
        var deepSpec = spec with { Generator = spec.Generator with { Expression = deep } };
        StepPlan? generator = null;
        Exception? failure = null;
        var thread = new Thread(() =>
        {
            try { generator = StepPlanner.Plan(deepSpec).Generator; }
            catch (Exception ex) { failure = ex; }
        }, maxStackSize: 256 * 1024);
        thread.Start();
        thread.Join();
        Assert.Null(failure);
        Assert.Equal(100_003, generator!.Values.Count);   // G, D, the 100,000 operations, Mean
        Assert.Equal(Enumerable.Range(0, generator.Values.Count), generator.Values.Select(v => v.Id));
    }

    [Fact]
    public void Plan_IsEquatable_AndDeterministic()
    {
        var spec = ZooSpec("Began");
        Assert.Equal(StepPlanner.Plan(spec), StepPlanner.Plan(spec));
        Assert.Equal(Emitter.Write(spec), Emitter.Write(StepPlanner.Plan(spec)));
    }

    [Fact]
    public void Emitter_NamesNoTensorLibrary_TheTableDoes()
    {
        // The binding is the table: moving to another tensor library edits Ir/Operations.cs, not the emitter or the planner.
        foreach (var file in new[] { "GanLossGenerator.Emitter.cs", "Passes/StepPlanner.cs", "Passes/ForwardPasses.cs" })
        {
            var text = File.ReadAllText(Path.Combine(TestSupport.RepoRoot, "src", "Generator", file));
            Assert.DoesNotContain("TorchSharp", text);
            Assert.DoesNotContain("LossOps.", text);
        }
    }
}
