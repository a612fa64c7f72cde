using System.Text.RegularExpressions;
using GanDsl.Testing;

namespace GanDsl.Generator.Tests;

/// <summary>
/// The augmentation words in generated code: identical <c>Augment</c> expressions are one draw, distinct ones are
/// independent draws, <c>Augment(v, draw)</c> shares the step's draw by number, gradients reach G through them, and
/// their constant operands are checked like any table row's.
/// </summary>
public sealed class AugmentationWordTests
{
    private static string Generated(string body)
    {
        var run = TestSupport.RunAndCheck(TestSupport.Prelude + "[GanLoss(\"t\")] public partial class T { " + body + " }");
        Assert.Empty(run.Diagnostics.Select(d => d.ToString()));
        return run.Files["Samples.T.g.cs"];
    }

    private static int Count(string text, string pattern) => Regex.Matches(text, pattern).Count;

    [Fact]
    public void Identical_augmentations_are_one_draw_and_distinct_ones_are_independent()
    {
        var code = Generated("""
            [DiscriminatorLoss] static Loss Dl => Mean(Relu(1 - D(Augment(x)))) + Mean(Square(D(Augment(x)))) + Mean(Relu(1 + D(Augment(G(z)))));
            [GeneratorLoss] static Loss Gl => -Mean(D(Augment(G(z))));
            """);
        // Critic step: Augment(x) once (used twice), Augment(G(z)) once; generator step: Augment(G(z)) once.
        Assert.Equal(3, Count(code, @"LossOps\.Augment\(c\.Random, "));
        Assert.DoesNotContain("AugmentWith", code);
    }

    [Fact]
    public void A_draw_number_shares_the_steps_transformation()
    {
        var code = Generated("""
            [DiscriminatorLoss] static Loss Dl => Mean(Softplus(-D(Augment(x, 1)))) + Mean(Softplus(D(Augment(G(z), 1)))) + Mean(Square(D(Augment(x, 2))));
            [GeneratorLoss] static Loss Gl => Mean(Softplus(-D(Augment(G(z), 1))));
            """);
        // Augment(x, 1) and Augment(G(z), 1) in the critic step, Augment(G(z), 1) in the generator step: one number, one draw per step.
        Assert.Equal(3, Count(code, @"LossOps\.AugmentWith\(c\.Random, c\.Augmentations, [^;]*, 1d\)"));
        Assert.Equal(1, Count(code, @"LossOps\.AugmentWith\(c\.Random, c\.Augmentations, [^;]*, 2d\)"));
    }

    [Fact]
    public void The_generator_is_trained_through_augmentation_and_jitter()
    {
        // G's loss depends on G only through Augment and Jitter: accepted (no GAN error), so the gradient flows through them.
        var code = Generated("""
            [DiscriminatorLoss] static Loss Dl => Mean(Softplus(-D(x))) + Mean(Softplus(D(G(z))));
            [GeneratorLoss] static Loss Gl => Mean(Softplus(-D(Augment(G(Jitter(z, 0.03)))))) - Mean(Square(Norm(G(z) - G(Jitter(z, 0.03)))));
            """);
        Assert.Equal(1, Count(code, @"LossOps\.Jitter\(c\.Random, c\.Noise, 0\.03d?\)"));
    }

    [Theory]
    [InlineData("Augment(x, 0.5)", "draw number")]
    [InlineData("Augment(x, -1)", "draw number")]
    [InlineData("Jitter(x, -0.1)", "standard deviation")]
    [InlineData("Jitter(x, Mean(D(x)))", "a constant standard deviation")]
    public void Constant_operands_are_checked(string expression, string says)
    {
        var run = GeneratorTestDriver.Run(TestSupport.Prelude + "[GanLoss(\"t\")] public partial class T { [DiscriminatorLoss] static Loss Dl => Mean(D(" + expression
            + ")) - Mean(D(G(z))); [GeneratorLoss] static Loss Gl => -Mean(D(G(z))); }");
        Assert.Null(run.Exception);
        var error = Assert.Single(TestSupport.Describe(run));
        Assert.Contains(says, error.Message);
    }
}
