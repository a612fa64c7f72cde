using TorchSharp;

namespace GanDsl.Training;

/// <summary>
/// TensorBoard event files of a run, in OUT/tensorboard/, written with TorchSharp's
/// <c>torch.utils.tensorboard.SummaryWriter</c> (TFRecord-framed <c>Event</c> protocol buffers): a scalar per
/// metrics.csv value at every logging step (tags are metrics.csv's column names: <c>d_loss</c>, <c>g_loss</c>,
/// <c>d.Gp</c>, <c>state.k</c>, ...), the sample picture at every sample step (tag <c>samples</c>), and the final
/// evaluation on Fashion-MNIST (<c>eval/fid</c>, ...). Each <see cref="Trainer.Run"/> starts a new events file
/// (TensorBoard reads every file of the folder), so a resumed run adds one.
/// </summary>
internal sealed class TensorBoardLog
{
    /// <summary>The folder under the output folder.</summary>
    public const string FolderName = "tensorboard";

    private readonly TorchSharp.Modules.SummaryWriter _writer;

    public TensorBoardLog(string outputDirectory)
    {
        var folder = Path.Combine(outputDirectory, FolderName);
        Directory.CreateDirectory(folder);
        _writer = torch.utils.tensorboard.SummaryWriter(folder);
    }

    /// <summary>The events file this log appends to.</summary>
    public string Folder => _writer.LogDir;

    /// <summary>One scalar per value (TensorBoard stores float32).</summary>
    public void Scalars(long step, IEnumerable<KeyValuePair<string, double>> values)
    {
        var s = Step(step);
        foreach (var (tag, value) in values) _writer.add_scalar(tag, (float)value, s);
    }

    /// <summary>A PNG file as an image record.</summary>
    public void Image(string tag, string pngPath, long step) => _writer.add_img(tag, pngPath, Step(step));

    // The writer takes int steps; a run longer than int.MaxValue steps stops logging steps exactly rather than failing.
    private static int Step(long step) => (int)Math.Min(step, int.MaxValue);
}
