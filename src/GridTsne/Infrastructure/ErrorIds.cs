namespace GridTsne.Infrastructure;

/// <summary>
/// The ErrorIds of every GridTsne cmdlet, one name per fault whichever cmdlet meets it, so that scripts can
/// match on them (<c>$error[0].FullyQualifiedErrorId -like 'VectorNotNumeric,*'</c>). They are listed in
/// about_GridTsne; a Pester test keeps that list and this class in step. A new cmdlet reuses the ids here for
/// the faults it shares and adds its own ids here, never as string literals in the cmdlet.
/// </summary>
public static class ErrorIds
{
    // Paths (ProviderPaths).
    public const string PathNotFound = nameof(PathNotFound);
    public const string PathNotResolved = nameof(PathNotResolved);
    public const string PathNotFileSystem = nameof(PathNotFileSystem);

    // Photos that cannot be read (ImageErrors).
    public const string ImageNotFound = nameof(ImageNotFound);
    public const string ImagePathIsDirectory = nameof(ImagePathIsDirectory);
    public const string ImageUnreadable = nameof(ImageUnreadable);
    public const string ImageEmpty = nameof(ImageEmpty);
    public const string ImageFormatUnknown = nameof(ImageFormatUnknown);
    public const string ImageCorrupt = nameof(ImageCorrupt);
    public const string ImageTooLarge = nameof(ImageTooLarge);

    // Pipeline items (ItemReader) and -Label (ItemLabel).
    public const string InputPathMissing = nameof(InputPathMissing);
    public const string InputCellMissing = nameof(InputCellMissing);
    public const string InputCellInvalid = nameof(InputCellInvalid);
    public const string VectorNotNumeric = nameof(VectorNotNumeric);
    public const string VectorEmpty = nameof(VectorEmpty);
    public const string VectorLengthMismatch = nameof(VectorLengthMismatch);
    public const string VectorNotFinite = nameof(VectorNotFinite);
    public const string CoordinateNotFinite = nameof(CoordinateNotFinite);
    public const string LabelInvalid = nameof(LabelInvalid);
    public const string LabelFailed = nameof(LabelFailed);

    // Models and the embedding cache (Get-ImageEmbedding).
    public const string ModelCatalogUnreadable = nameof(ModelCatalogUnreadable);
    public const string ModelUnknown = nameof(ModelUnknown);
    public const string ModelNotFound = nameof(ModelNotFound);
    public const string ModelHashMismatch = nameof(ModelHashMismatch);
    public const string ModelNotOnnx = nameof(ModelNotOnnx);
    public const string ModelInputUnsupported = nameof(ModelInputUnsupported);
    public const string ModelOutputUnsupported = nameof(ModelOutputUnsupported);
    public const string ModelPreprocessingInvalid = nameof(ModelPreprocessingInvalid);
    public const string ModelInferenceFailed = nameof(ModelInferenceFailed);
    public const string CacheUnavailable = nameof(CacheUnavailable);

    // Limits of the computations (Invoke-Tsne, Resolve-GridAssignment, Measure-GridQuality).
    public const string ExactMethodTooLarge = nameof(ExactMethodTooLarge);
    public const string GridTooSmall = nameof(GridTooSmall);
    public const string TooManyItems = nameof(TooManyItems);

    // Layouts and output files (Export-PhotoGrid).
    public const string NoInput = nameof(NoInput);
    public const string DuplicateCell = nameof(DuplicateCell);
    public const string CellOutsideGrid = nameof(CellOutsideGrid);
    public const string CanvasTooLarge = nameof(CanvasTooLarge);
    public const string OutputFormatUnknown = nameof(OutputFormatUnknown);
    public const string LayoutFormatUnknown = nameof(LayoutFormatUnknown);
    public const string BackgroundInvalid = nameof(BackgroundInvalid);
    public const string OutputIsFolder = nameof(OutputIsFolder);
    public const string OutputFolderNotFound = nameof(OutputFolderNotFound);
    public const string OutputReadOnly = nameof(OutputReadOnly);
    public const string OutputWriteFailed = nameof(OutputWriteFailed);
    public const string NoClobber = nameof(NoClobber);
    public const string ViewerAssetsFolderInUse = nameof(ViewerAssetsFolderInUse);
}
