@{
    RootModule           = 'bin/GridTsne.dll'
    ModuleVersion        = '0.1.0'
    GUID                 = '6d0f3f4e-2b7a-4a53-9a57-1c2f8e0b9d41'
    Author               = 'GridTsne contributors'
    CompanyName          = 'GridTsne'
    Copyright            = '(c) GridTsne contributors. MIT licence.'
    Description          = 'Lays photos out on a grid so that visually similar photos sit side by side: CNN embeddings (ONNX Runtime, built-in ResNet18), t-SNE, exact grid assignment (Jonker-Volgenant) and rendering, as pipeline cmdlets.'
    CompatiblePSEditions = @('Core')
    PowerShellVersion    = '7.4'
    CmdletsToExport      = @('Get-ImageEmbedding', 'Invoke-Tsne', 'Resolve-GridAssignment', 'Measure-GridQuality', 'Export-PhotoGrid')
    FunctionsToExport    = @()
    AliasesToExport      = @()
    VariablesToExport    = @()
    FormatsToProcess     = @('bin/GridTsne.Format.ps1xml')
    PrivateData          = @{
        PSData = @{
            Tags         = @('t-SNE', 'tsne', 'embedding', 'ONNX', 'ResNet', 'photo', 'image', 'grid', 'layout', 'linear-assignment', 'Linux', 'Windows', 'MacOS', 'PSEdition_Core')
            ReleaseNotes = 'First release: Get-ImageEmbedding, Invoke-Tsne, Resolve-GridAssignment, Measure-GridQuality and Export-PhotoGrid.'
        }
    }
}
