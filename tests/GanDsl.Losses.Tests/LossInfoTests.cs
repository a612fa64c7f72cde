using System.Text.RegularExpressions;

namespace GanDsl.Losses.Tests;

/// <summary>Names, papers, hyperparameter defaults and schedules of the zoo, as LOSSES.md gives them.</summary>
public sealed class LossInfoTests
{
    private static readonly LossRegistry Registry = new(typeof(Wgan).Assembly);

    private static LossInfo Info(string name) => Registry.Create(name).Info;

    [Fact]
    public void EveryCanonicalNameIsRegisteredWithItsPaper()
    {
        Assert.Equal(Zoo.Names.OrderBy(n => n, StringComparer.Ordinal), Registry.Names);
        foreach (var name in Zoo.Names)
        {
            var info = Info(name);
            Assert.Equal(name, info.Name);
            Assert.Matches(new Regex(@"(19|20)\d\d"), info.Summary);   // the doc comment names the paper and year
            Assert.Contains(info.Networks, n => n.Role == NetworkRole.Generator);
        }
    }

    [Theory]
    [InlineData("wgan", 5)]
    [InlineData("wgan-gp", 5)]
    [InlineData("wgan-lp", 5)]
    [InlineData("rwgan", 5)]
    [InlineData("mcgan", 5)]
    [InlineData("mmdgan", 5)]
    [InlineData("nonsaturating", 1)]
    [InlineData("hinge", 1)]
    [InlineData("began", 1)]
    [InlineData("fisher", 1)]
    public void CriticStepsPerGeneratorStep(string name, int steps) => Assert.Equal(steps, Info(name).CriticSteps);

    [Fact]
    public void WganClipsSymmetricallyWithRmsprop()
    {
        var info = Info("wgan");
        Assert.Equal([new ClipInfo("D", -0.01, 0.01)], info.Clipping);
        Assert.Equal("rmsprop", info.Optimizer.Kind);
        Assert.Equal(5e-5, info.Optimizer.LearningRate);
    }

    [Fact]
    public void RwganClampsAsymmetrically()
    {
        var clip = Assert.Single(Info("rwgan").Clipping);
        Assert.Equal(new ClipInfo("D", -0.01, 0.02), clip);
        Assert.NotEqual(-clip.Min, clip.Max);
    }

    [Fact]
    public void WganGpUsesAdamAndLambdaTen()
    {
        var loss = Registry.Create("wgan-gp");
        Assert.Equal(new OptimizerDefaults("adam", 1e-4, 0.5, 0.9, 0.99), loss.Info.Optimizer);
        Assert.Equal(10, loss.Hyper["Lambda"]);
        Assert.Empty(loss.Info.Clipping);
        loss.Hyper["Lambda"] = 0.1;   // the paper's toy setting, by name
        Assert.Equal(0.1, loss.Hyper["Lambda"]);
        Assert.Throws<ArgumentException>(() => loss.Hyper["lambda"] = 1);
    }

    [Fact]
    public void StatefulLossesDeclareTheirState()
    {
        var began = Registry.Create("began");
        Assert.Equal(0.5, began.Hyper["Gamma"]);
        Assert.Equal(0.001, began.Hyper["LambdaK"]);
        var k = Assert.Single(began.Info.States);
        Assert.Equal(("k", 0.0, StateUpdateTiming.AfterCriticStep), (k.Name, k.Initial, k.Timing));

        var fisher = Registry.Create("fisher");
        var lambda = Assert.Single(fisher.Info.States);
        Assert.Equal(("Lambda", 0.0, StateUpdateTiming.AfterCriticStep), (lambda.Name, lambda.Initial, lambda.Timing));
        Assert.Equal(1e-6, fisher.Hyper["Rho"]);

        var magan = Registry.Create("magan");
        Assert.Equal(StateUpdateTiming.EndOfEpoch, magan.Info.States.Single(s => s.Name == "Margin").Timing);
    }

    [Fact]
    public void NetworksBeyondDAndG()
    {
        Assert.False(Info("gmmn").HasCritic);
        Assert.True(Info("cramer").UsesSecondNoise);
        Assert.False(Info("wgan-gp").UsesSecondNoise);
        Assert.Equal(["A", "D"], Info("ragan-aux").Networks.Where(n => n.Role == NetworkRole.Critic).Select(n => n.Name).Order(StringComparer.Ordinal));
        foreach (var name in new[] { "mcgan", "cramer", "mmdgan" })
            Assert.Equal(NetworkOutput.Features, Assert.Single(Info(name).Networks, n => n.Role == NetworkRole.Critic).Output);
        foreach (var name in new[] { "ebgan", "began", "magan" })
            Assert.Equal(NetworkOutput.Reconstruction, Assert.Single(Info(name).Networks, n => n.Role == NetworkRole.Critic).Output);
    }
}
