namespace GanDsl.Training;

/// <summary>
/// The run cannot start: a bad option, an unknown name, a missing or corrupt file, a checkpoint of another
/// run. Thrown before anything is written; the message is one sentence that says what to do.
/// </summary>
public sealed class TrainingSetupException(string message, Exception? inner = null) : Exception(message, inner);

/// <summary>A checkpoint file is missing, corrupt, truncated, or does not belong to the run it is loaded into.</summary>
public sealed class CheckpointException(string message, Exception? inner = null) : IOException(message, inner);

/// <summary>A training step failed inside libtorch (a network returned a wrong shape, a dtype clash...); the message is libtorch's, prefixed with the
/// step.</summary>
public sealed class TrainingStepException(string message, Exception? inner = null) : Exception(message, inner);
