@{
    RootModule           = 'bin/GridTsne.dll'
    ModuleVersion        = '0.1.0'
    GUID                 = '6d0f3f4e-2b7a-4a53-9a57-1c2f8e0b9d41'
    Author               = 'GridTsne contributors'
    CompanyName          = 'GridTsne'
    Copyright            = '(c) 2026 GridTsne contributors. MIT licence (LICENSE.txt).'
    Description          = 'Lays photos out on a grid so that visually similar photos sit side by side: CNN embeddings (ONNX Runtime, built-in ResNet18), t-SNE, exact grid assignment (Jonker-Volgenant) and rendering, as pipeline cmdlets.'
    CompatiblePSEditions = @('Core')
    PowerShellVersion    = '7.4'
    CmdletsToExport      = @('Get-ImageEmbedding', 'Invoke-Tsne', 'Resolve-GridAssignment', 'Optimize-GridLayout', 'Measure-GridQuality',
                             'Export-PhotoGrid', 'Start-PhotoGridService', 'Stop-PhotoGridService', 'Get-PhotoGridService')
    FunctionsToExport    = @()
    AliasesToExport      = @()
    VariablesToExport    = @()
    FormatsToProcess     = @('bin/GridTsne.Format.ps1xml')
    PrivateData          = @{
        PSData = @{
            Tags         = @('t-SNE', 'tsne', 'embedding', 'ONNX', 'ResNet', 'photo', 'image', 'grid', 'layout', 'linear-assignment', 'Linux', 'Windows', 'MacOS', 'PSEdition_Core')
            LicenseUri   = 'https://spdx.org/licenses/MIT.html'
            # ProjectUri: written into the packaged manifest by ./build.ps1 Package (-ProjectUri, or the git remote 'origin').
            ReleaseNotes = @'
0.1.0, the first release:
- Get-ImageEmbedding: photos to vectors with the built-in ResNet18 (512-d), its int8 build ResNet18-Int8, or any ONNX image model, batched
  ONNX Runtime, EXIF orientation, a content-keyed cache, hostile files refused with ErrorRecords; -Session
  spreads the work over PowerShell remoting sessions.
- Invoke-Tsne: exact, Barnes-Hut and FFT-interpolated t-SNE with PCA and perplexity calibration,
  bit-identical for a seed whatever the thread count.
- Resolve-GridAssignment: the exact minimal-displacement grid (dense Jonker-Volgenant; a sparse solver with
  a proven gap to 100,000 photos).
- Optimize-GridLayout: rearranges an assigned grid (FLAS-style local sorting and a neighbour swap search) for a
  higher DPQ16, deterministic for a seed.
- Measure-GridQuality: DPQ16, neighbour distance ratio and label agreement.
- Export-PhotoGrid: the grid as a JPEG, PNG, WebP, BMP or TIFF image or an offline HTML
  viewer, plus a CSV/JSON layout.
- Start-PhotoGridService, Get-PhotoGridService, Stop-PhotoGridService: the asynchronous visualizations API
  (POST a visualization, poll it by id, fetch its image, viewer and layout) served locally over HTTP, with
  an access key, root folders, limits and jobs that survive restarts.
No telemetry: ONNX Runtime's is switched off before it loads.
'@
        }
    }
}
