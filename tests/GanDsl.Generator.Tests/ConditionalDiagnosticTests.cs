using GanDsl.Testing;

namespace GanDsl.Generator.Tests;

/// <summary>
/// The conditional-GAN checks (issue 16), GAN0027-0032: each triggers at the offending source with its message and
/// what to write instead, and a valid neighbour of each (the fix it suggests) builds, with nothing reported.
/// </summary>
public sealed class ConditionalDiagnosticTests
{
    private const string DLoss = "[DiscriminatorLoss] static Loss Dl => Mean(Softplus(-D(x))) + Mean(Softplus(D(G(z))));";
    private const string GLoss = "[GeneratorLoss] static Loss Gl => Mean(Softplus(-D(G(z))));";
    private const string Q = "[ClassHead(\"D\")] private static partial Expr Q(Expr v);";
    private const string Labels = "labels are class indices, not numbers; pass them only as a network's label argument ('D(x, y)', 'G(z, yz)') or as CrossEntropy's labels ('CrossEntropy(Q(x), y)')";
    private const string HeadAdvice = "class heads of a label-taking network are not supported; apply D without labels (AC-GAN: 'D(x)' and 'Q(x)'), or declare the classifier as a network of its own, '[Network(NetworkRole.Critic, NetworkOutput.ClassLogits)] static partial Expr C(Expr v);'";

    private static void Expect(string body, params (string Id, string Span, string Message)[] expected)
    {
        var run = GeneratorTestDriver.Run(TestSupport.Prelude + "[GanLoss(\"t\")] public partial class T { " + body + " }");
        Assert.Null(run.Exception);
        Assert.Equal(expected.Select(e => (e.Id, e.Message, e.Span)).ToList(), TestSupport.Describe(run));
    }

    private static void Valid(string body)
    {
        var run = TestSupport.RunAndCheck(TestSupport.Prelude + "[GanLoss(\"t\")] public partial class T { " + body + " }");
        Assert.Empty(run.Diagnostics);
        Assert.Single(run.Files);
    }

    [Fact]
    public void GAN0027_Labels_in_arithmetic() => Expect($$"""{{DLoss}} [GeneratorLoss] static Loss Gl => Mean(Softplus(-D(G(z)))) + Mean(y * 2);""",
        ("GAN0027", "y", "'y' is class labels, which '*' cannot read: " + Labels));

    [Fact]
    public void GAN0027_Labels_in_a_word_other_than_CrossEntropy() => Expect($$"""{{DLoss}} [GeneratorLoss] static Loss Gl => Mean(Softplus(-D(G(z)))) + Mean(Log(yz));""",
        ("GAN0027", "yz", "'yz' is class labels, which Log(...) cannot read: " + Labels));

    [Fact]
    public void GAN0027_Labels_as_a_networks_batch() => Expect($$"""{{DLoss}} [GeneratorLoss] static Loss Gl => Mean(Softplus(-D(G(z)))) + Mean(D(y));""",
        ("GAN0027", "y", "'y' is class labels, which D(...) as its batch cannot read: " + Labels));

    [Fact]
    public void GAN0028_CrossEntropy_of_a_score() => Expect($$"""{{DLoss}} [GeneratorLoss] static Loss Gl => Mean(Softplus(-D(G(z)))) + Mean(CrossEntropy(D(G(z)), yz));""",
        ("GAN0028", "D(G(z))", "CrossEntropy's logits must be class logits [B,K], but 'D(G(z))' is per-sample (one value per sample): a per-sample score is a binary (real/fake) logit, for which write 'Softplus(-D(x))' (BCE against 1) or 'Softplus(D(G(z)))' (against 0); for classes, declare a class head '[ClassHead(\"D\")] static partial Expr Q(Expr v);' and write 'CrossEntropy(Q(x), y)'"));

    [Fact]
    public void GAN0028_CrossEntropy_of_a_batch_of_samples() => Expect($$"""{{DLoss}} [GeneratorLoss] static Loss Gl => Mean(Softplus(-D(G(z)))) + Mean(CrossEntropy(x, y));""",
        ("GAN0028", "x", "CrossEntropy's logits must be class logits [B,K], but 'x' is a batch of samples: give it a class head ('[ClassHead(\"D\")] static partial Expr Q(Expr v);', then 'CrossEntropy(Q(x), y)') or a network declared '[Network(NetworkRole.Critic, NetworkOutput.ClassLogits)]'"));

    [Fact]
    public void GAN0028_CrossEntropy_labels_that_are_not_labels() => Expect($$"""{{Q}} {{DLoss}} [GeneratorLoss] static Loss Gl => Mean(Softplus(-D(G(z)))) + Mean(CrossEntropy(Q(G(z)), D(x)));""",
        ("GAN0028", "D(x)", "CrossEntropy's labels must be class labels, but 'D(x)' is per-sample (one value per sample): write y (the real batch's labels) or yz (the labels drawn with z), e.g. 'CrossEntropy(Q(x), y)', 'CrossEntropy(Q(G(z, yz)), yz)'"));

    [Fact]
    public void GAN0029_Label_argument_that_is_not_y_or_yz() => Expect($$"""[DiscriminatorLoss] static Loss Dl => Mean(Softplus(-D(x, x))); {{GLoss}}""",
        ("GAN0029", "x", "The label argument 'x' of 'D(...)' is not class labels but a batch of samples: write y (the real batch's labels) or yz (the labels drawn with z) itself, e.g. 'D(x, y)' or 'D(G(z, yz), yz)'"));

    [Fact]
    public void GAN0030_Network_applied_with_and_without_labels() => Expect($$"""[DiscriminatorLoss] static Loss Dl => Mean(Softplus(-D(x, y))) + Mean(Softplus(D(G(z)))); {{GLoss}}""",
        ("GAN0030", "D(G(z))", "'D(G(z))' applies network D without labels, but 'D(x, y)' applies it with labels: a network takes labels in all its applications or in none (with labels its module is an nn.Module<Tensor, Tensor, Tensor> taking (batch, labels)); write this one with labels too, e.g. 'D(v, y)', or 'D(x, y)' without"),
        ("GAN0030", "D(G(z))", "'D(G(z))' applies network D without labels, but 'D(x, y)' applies it with labels: a network takes labels in all its applications or in none (with labels its module is an nn.Module<Tensor, Tensor, Tensor> taking (batch, labels)); write this one with labels too, e.g. 'D(v, y)', or 'D(x, y)' without"));

    [Fact]
    public void GAN0031_Class_head_of_a_network_applied_with_labels() => Expect(
        $$"""{{Q}} [DiscriminatorLoss] static Loss Dl => Mean(Softplus(-D(x, y))) + Mean(CrossEntropy(Q(x), y)); [GeneratorLoss] static Loss Gl => Mean(Softplus(-D(G(z), yz)));""",
        ("GAN0031", "D(x, y)", "Network D has class head 'Q', but 'D(x, y)' applies D with labels: " + HeadAdvice),
        ("GAN0031", "D(G(z), yz)", "Network D has class head 'Q', but 'D(G(z), yz)' applies D with labels: " + HeadAdvice));

    [Fact]
    public void GAN0032_Class_head_of_an_unknown_network() => Expect($$"""[ClassHead("E")] private static partial Expr Q(Expr v); {{DLoss}} {{GLoss}}""",
        ("GAN0032", "\"E\"", "Class head 'Q' names 'E', which is no network of this loss: name a critic, e.g. [ClassHead(\"D\")]"));

    [Fact]
    public void GAN0032_Class_head_of_the_generator() => Expect($$"""[ClassHead("G")] private static partial Expr Q(Expr v); {{DLoss}} {{GLoss}}""",
        ("GAN0032", "\"G\"", "Class head 'Q' names 'G', a generator network with Sample output: a class head shares the forward pass of a critic with Score output (its module returns [B, 1 + H·K]); name one, e.g. [ClassHead(\"D\")]"));

    [Fact]
    public void GAN0032_Class_head_with_a_label_parameter() => Expect($$"""[ClassHead("D")] private static partial Expr Q(Expr v, Expr w); {{DLoss}} {{GLoss}}""",
        ("GAN0032", "Q", "Class head 'Q' must be declared 'private static partial Expr Q(Expr v);' (one batch, no labels)"));

    // ----- the valid neighbours: what the messages suggest builds and reports nothing -----

    [Fact]
    public void Valid_AcGan_with_a_class_head_and_labels_where_they_belong() => Valid(
        $$"""{{Q}} [DiscriminatorLoss] static Loss Dl => Mean(Softplus(-D(x))) + Mean(Softplus(D(G(z, yz)))) + Mean(CrossEntropy(Q(x), y)); [GeneratorLoss] static Loss Gl => Mean(Softplus(-D(G(z, yz)))) + Mean(CrossEntropy(Q(G(z, yz)), yz));""");

    [Fact]
    public void Valid_conditional_network_everywhere_and_a_class_logits_network() => Valid(
        $$"""
        [Network(NetworkRole.Critic, NetworkOutput.Score)] private static partial Expr E(Expr v, Expr label);
        [Network(NetworkRole.Critic, NetworkOutput.ClassLogits)] private static partial Expr C(Expr v);
        [DiscriminatorLoss] static Loss Dl => Mean(Softplus(-E(x, y))) + Mean(Softplus(E(G(z), yz))) + Mean(CrossEntropy(C(x), y));
        [GeneratorLoss] static Loss Gl => Mean(Softplus(-E(G(z), yz))) + Mean(CrossEntropy(C(G(z)), yz));
        """);

    [Fact]
    public void Valid_labels_through_a_macro() => Valid(
        $$"""
        {{Q}} static Expr Ce(Expr v, Expr t) => Mean(CrossEntropy(Q(v), t));
        [DiscriminatorLoss] static Loss Dl => Mean(Softplus(-D(x))) + Mean(Softplus(D(G(z, yz)))) + Ce(x, y);
        [GeneratorLoss] static Loss Gl => Mean(Softplus(-D(G(z, yz)))) + Ce(G(z, yz), yz);
        """);
}
