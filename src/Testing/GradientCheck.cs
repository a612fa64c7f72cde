using GanDsl.Verification;

namespace GanDsl.Testing;

/// <summary>
/// Gradient checks of a loss's generated code for your own tests, from any test framework: <c>GradientCheck.Assert(new MyLoss())</c>
/// runs its critic and generator steps in float64 on small random networks and batches and compares every parameter-gradient
/// element, and the double backward of each penalty, with central finite differences (<see cref="GradientChecker"/>).
/// </summary>
public static class GradientCheck
{
    /// <summary>Checks <paramref name="loss"/> and throws when an element is out of tolerance or a step fails.</summary>
    /// <param name="loss">A loss instance (its hyperparameter values are used; its state is put back afterwards).</param>
    /// <param name="options">Sizes, seed, step, tolerance or your own networks; the defaults suit most losses.</param>
    /// <returns>The report, for further assertions.</returns>
    /// <exception cref="GradientCheckException">An element is out of tolerance, or a step threw; the message holds the table of the worst elements.</exception>
    public static GradientCheckReport Assert(IGanLoss loss, GradientCheckOptions? options = null)
    {
        var report = GradientChecker.Check(loss, options);
        if (report.Passed) return report;
        var table = new StringWriter();
        report.Print(table, worst: 10);
        throw new GradientCheckException(report, $"Gradient check of loss '{report.Loss}' failed:\n{table}");
    }
}

/// <summary>A gradient check found an element out of tolerance (or a step that threw).</summary>
public sealed class GradientCheckException(GradientCheckReport report, string message) : Exception(message)
{
    /// <summary>Every compared element.</summary>
    public GradientCheckReport Report { get; } = report;
}
