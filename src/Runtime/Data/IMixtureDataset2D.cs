namespace GanDsl.Data;

/// <summary>A point of the plane, used for mode centres of the 2D mixtures.</summary>
/// <param name="X">Horizontal coordinate.</param>
/// <param name="Y">Vertical coordinate.</param>
public readonly record struct Point2(double X, double Y);

/// <summary>A 2D dataset that is a mixture of isotropic Gaussians with known centres, so mode metrics apply.</summary>
public interface IMixtureDataset2D : IDataset
{
    /// <summary>The mode centres.</summary>
    IReadOnlyList<Point2> Modes { get; }

    /// <summary>Standard deviation of each coordinate around a centre.</summary>
    double ModeStd { get; }
}
