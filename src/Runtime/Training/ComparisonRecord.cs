using GanDsl.Formats;
using System.Text.Json;
using GanDsl.Data;
using GanDsl.Evaluation;

namespace GanDsl.Training;

/// <summary>
/// The record a finished run of a comparison leaves in its folder (<c>run.json</c>, written last, after every other
/// output): its status, steps, seconds and evaluation, and a key of the settings it ran with. A later
/// <c>gan compare</c> with the same settings (a rerun, or the unsharded merge of a sharded study) reads it instead of
/// training the run again. 2-D and image runs alike.
/// </summary>
public static class ComparisonRecord
{
    /// <summary>The record's file name in a run folder.</summary>
    public const string FileName = "run.json";

    internal sealed record RunRecord(string Loss, int Seed, string Status, long Steps, double Seconds, string? Message, string Key,
        SampleMetrics? Metrics, string? EvaluationJson);

    /// <summary>Writes the record of a finished run (completed, or diverged: both are results; failures are not recorded, so they are retried).</summary>
    public static void Write(string runDirectory, ComparisonRun run, string key)
    {
        ArgumentNullException.ThrowIfNull(run);
        if (run.Status == RunStatus.Failed) return;
        var record = new RunRecord(run.Loss, run.Seed, run.Status.ToString(), run.Steps, run.Seconds, run.Message, key, run.Metrics, run.Images?.ToJson());
        AtomicFile.WriteAllBytes(Path.Combine(runDirectory, FileName), JsonSerializer.SerializeToUtf8Bytes(record, RunRecordJson.Default.RunRecord));
    }

    /// <summary>
    /// The finished run recorded in <paramref name="runDirectory"/> with the same <paramref name="key"/> whose outputs
    /// are complete (samples.npy and samples.png; evaluation.json for an image run), or null: then the run trains.
    /// </summary>
    public static ComparisonRun? Read(string runDirectory, string key)
    {
        var path = Path.Combine(runDirectory, FileName);
        if (!File.Exists(path)) return null;
        try
        {
            var record = JsonSerializer.Deserialize(File.ReadAllBytes(path), RunRecordJson.Default.RunRecord);
            if (record is null || record.Key != key || !Enum.TryParse<RunStatus>(record.Status, out var status) || status == RunStatus.Failed) return null;
            ImageEvaluation? images = null;
            if (status == RunStatus.Completed)
            {
                if (!File.Exists(Path.Combine(runDirectory, "samples.npy")) || !File.Exists(Path.Combine(runDirectory, "samples.png"))) return null;
                if (record.EvaluationJson is { } evaluation)
                {
                    if (!File.Exists(Path.Combine(runDirectory, "evaluation.json"))) return null;
                    images = ImageEvaluation.FromJson(evaluation);
                }
                else if (record.Metrics is null) return null;
            }
            return new ComparisonRun(record.Loss, record.Seed, status, record.Steps, record.Seconds, status == RunStatus.Completed ? record.Metrics : null,
                record.Message)
            { Images = images };
        }
        catch (Exception e) when (e is JsonException or IOException or KeyNotFoundException or InvalidOperationException
            or FormatException or NotSupportedException)
        {
            return null;
        }
    }
}

/// <summary>The run records' JSON, generated at compile time (no reflection: trimming and AOT safe).</summary>
[System.Text.Json.Serialization.JsonSerializable(typeof(ComparisonRecord.RunRecord))]
internal sealed partial class RunRecordJson : System.Text.Json.Serialization.JsonSerializerContext;
