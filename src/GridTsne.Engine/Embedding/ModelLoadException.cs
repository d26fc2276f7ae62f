namespace GridTsne.Engine.Embedding;

/// <summary>Why a model cannot be used. Each reason maps to one stable PowerShell ErrorId.</summary>
public enum ModelLoadFailure
{
    /// <summary>models.json is missing or unreadable.</summary>
    CatalogUnreadable,
    /// <summary>No built-in model has that name.</summary>
    UnknownModel,
    /// <summary>The model file does not exist.</summary>
    NotFound,
    /// <summary>A built-in model file fails its SHA-256 check.</summary>
    HashMismatch,
    /// <summary>ONNX Runtime cannot load the file as a model.</summary>
    NotOnnx,
    /// <summary>The model's input is not one float tensor [N,3,H,W], or contradicts the given input size.</summary>
    UnsupportedInput,
    /// <summary>The requested output does not exist or is not a float tensor with a batch dimension.</summary>
    UnsupportedOutput,
    /// <summary>The preprocessing parameters cannot make a sensible tensor.</summary>
    InvalidPreprocessing,
    /// <summary>ONNX Runtime failed while running the model.</summary>
    InferenceFailed,
}

/// <summary>A model that cannot be loaded or run; fatal for the whole command, unlike a bad photo.</summary>
public sealed class ModelLoadException : Exception
{
    public ModelLoadException(string model, ModelLoadFailure failure, string message, Exception? innerException = null)
        : base(message, innerException)
    {
        Model = model;
        Failure = failure;
    }

    /// <summary>The model's name or file path, whichever the user gave.</summary>
    public string Model { get; }

    public ModelLoadFailure Failure { get; }
}
