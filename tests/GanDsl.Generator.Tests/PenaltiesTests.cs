using System.Reflection;
using System.Text.RegularExpressions;

namespace GanDsl.Generator.Tests;

/// <summary>The penalty library's [Macro] texts (what the generator inlines) match the C# bodies (what the IDE shows).</summary>
public sealed class PenaltiesTests
{
    [Fact]
    public void EveryPenalty_HasAMacroText_EqualToItsExpressionBody()
    {
        var source = File.ReadAllText(Path.Combine(TestSupport.RepoRoot, "src", "Dsl", "Penalties.cs"));
        var members = typeof(Penalties).GetMethods(BindingFlags.Public | BindingFlags.Static).Where(m => m.DeclaringType == typeof(Penalties)).ToList();
        Assert.NotEmpty(members);
        foreach (var member in members)
        {
            var text = member.GetCustomAttribute<MacroAttribute>()?.Expression;
            Assert.False(text is null, $"{member.Name} has no [Macro] text");
            var body = Regex.Match(source, @"public static Expr " + member.Name + @"\([^)]*\) => (.*);");
            Assert.True(body.Success, $"{member.Name} has no expression body in Penalties.cs");
            Assert.Equal(body.Groups[1].Value, text);
        }
    }

    [Fact]
    public void PenaltyFromMetadata_IsInlined_AndReportedByItsCallText()
    {
        var run = TestSupport.RunAndCheck(TestSupport.Prelude + """
            [GanLoss("t")] public partial class T
            {
                [DiscriminatorLoss] static Loss Dl => Mean(D(G(z))) - Mean(D(x)) + 10 * GradientPenalty(Between(x, G(z)));
                [GeneratorLoss] static Loss Gl => -Mean(D(G(z)));
            }
            """);
        var code = run.Files.Single().Value;
        Assert.Contains("global::GanDsl.LossOps.Grad(", code);   // the guarded gradient, graph kept
        Assert.Contains("new global::GanDsl.StepTerm(\"GradientPenalty(Between(x, G(z)))\", ", code);
    }
}
