#Requires -Version 7.4
<#
.SYNOPSIS
    Builds, tests, demonstrates and packages the GridTsne module.

.DESCRIPTION
    One script for every task. It needs only the .NET SDK and pwsh: packages, the built-in model and
    Pester all come from NuGet through dotnet restore.

    Build    (default) restores and compiles, restores, verifies and patches the built-in models into
             models/, generates help, and lays the module out under bin/ so that
             Import-Module ./GridTsne.psd1 works from the repository root. Incremental.
    Test     builds, runs the xunit engine suite and the Pester cmdlet suite (in a child pwsh, since a
             binary module cannot be unloaded), and ends with 'Tests: N passed, M failed'.
    Demo     builds and runs the README's pipeline on samples/, writing out/demo-grid.jpg.
    Package  builds and writes out/GridTsne/<version>/, a module folder Publish-PSResource accepts, with
             the licence and the third-party notices (docs/THIRD-PARTY-NOTICES.md) inside.
    Calibrate  measures the activation ranges of each int8 model again on samples/photos, with the method,
             scope and float nodes its calibration file records, rewrites that file and the model, and prints the new
             SHA-256 to record in models/models.json. Only needed after a change to the quantizer or the recipe.
    Clean    removes everything the other tasks wrote.

.EXAMPLE
    pwsh ./build.ps1 Test

.EXAMPLE
    pwsh ./build.ps1 Test -PesterFilter Export-PhotoGrid -SkipEngineTests
#>
[CmdletBinding()]
param(
    [Parameter(Position = 0)]
    [ValidateSet('Build', 'Test', 'Demo', 'Package', 'Calibrate', 'Clean')]
    [string] $Task = 'Build',

    [ValidateSet('Debug', 'Release')]
    [string] $Configuration = 'Release',

    # Runs only the Pester files whose name contains this text.
    [string] $PesterFilter,

    # Runs only the xunit tests matching this dotnet test filter expression.
    [string] $EngineFilter,

    [switch] $SkipEngineTests,

    [switch] $SkipPesterTests,

    # Build: the folder with models.json where the built-in models are verified and restored; models/ by
    # default. The tests point it at a copy, so that they never touch the checkout's models.
    [string] $ModelsPath,

    # Package: the project's home page, written into the packaged manifest as PSData.ProjectUri. By default
    # the https address of the git remote 'origin', when there is one.
    [uri] $ProjectUri
)

$ErrorActionPreference = 'Stop'
Set-StrictMode -Version Latest

$Root = $PSScriptRoot
$OutDir = Join-Path $Root 'out'
$ModelsDir = if ($ModelsPath) { (Resolve-Path -LiteralPath $ModelsPath).ProviderPath } else { Join-Path $Root 'models' }
$PesterVersion = '5.7.1'
$Manifest = Import-PowerShellDataFile (Join-Path $Root 'GridTsne.psd1')
# The pwsh executable for child processes (the dotnet global tool's process is 'dotnet', not pwsh).
$Pwsh = (Get-Command pwsh -CommandType Application -ErrorAction SilentlyContinue | Select-Object -First 1).Source
if (-not $Pwsh) { $Pwsh = (Get-Process -Id $PID).Path }

function Invoke-Native {
    # Runs a native command and fails the build when it fails.
    param([string] $FilePath, [string[]] $Arguments)
    & $FilePath @Arguments | Out-Host
    if ($LASTEXITCODE -ne 0) { throw "'$FilePath $($Arguments -join ' ')' failed with exit code $LASTEXITCODE." }
}

function Get-NuGetPackageRoot {
    $line = & dotnet nuget locals global-packages --list
    if ($LASTEXITCODE -ne 0) { throw 'dotnet nuget locals failed.' }
    return ($line -replace '^global-packages:\s*', '').Trim()
}

function Get-FileSha256([string] $Path) {
    return (Get-FileHash -LiteralPath $Path -Algorithm SHA256).Hash.ToLowerInvariant()
}

function Restore-Packages {
    # The model and Pester arrive as PackageDownload items of these two projects.
    Invoke-Native dotnet @('restore', (Join-Path $Root 'src/GridTsne/GridTsne.csproj'), '--verbosity', 'quiet')
    Invoke-Native dotnet @('restore', (Join-Path $Root 'tests/GridTsne.Engine.Tests/GridTsne.Engine.Tests.csproj'), '--verbosity', 'quiet')
}

function Invoke-EngineStep([string] $Call) {
    # Runs an engine call in a child process: loading the engine into this session would lock its DLL on Windows.
    $engine = Join-Path $Root 'bin/deps/GridTsne.Engine.dll'
    Invoke-Native $Pwsh @('-NoProfile', '-NonInteractive', '-Command', "Add-Type -LiteralPath '$($engine -replace "'", "''")'; $Call")
}

function ConvertTo-Literal([string] $Text) { return "'$($Text -replace "'", "''")'" }

function Invoke-ModelPatch([string] $Source, [string] $Destination) {
    Invoke-EngineStep "[GridTsne.Engine.Embedding.OnnxBatchPatcher]::PatchFile($(ConvertTo-Literal $Source), $(ConvertTo-Literal $Destination))"
}

function Invoke-ModelQuantization($Catalog, $Model) {
    # An int8 model is built from its fp32 model in models/ (restored earlier in catalog order) and the
    # calibration recorded beside it: pure managed arithmetic, so the bytes, and the SHA-256, are the same everywhere.
    $from = $Catalog.models.Where({ $_.name -eq $Model.quantization.from })[0]
    $source = Join-Path $ModelsDir $from.file
    $calibration = Join-Path $ModelsDir $Model.quantization.calibration
    $destination = Join-Path $ModelsDir $Model.file
    Write-Host "Quantizing $($from.name) to int8 with $($Model.quantization.calibration) -> models/$($Model.file)"
    Invoke-EngineStep "[GridTsne.Engine.Quantization.Int8ModelBuilder]::BuildFile($(ConvertTo-Literal $source), $(ConvertTo-Literal $calibration), $(ConvertTo-Literal $destination))"
    $actual = Get-FileSha256 $destination
    if ($actual -ne $Model.sha256) {
        Remove-Item -LiteralPath $destination -Force
        throw "Model '$($Model.name)': the quantized file's SHA-256 is $actual, not $($Model.sha256). The quantizer or $($Model.quantization.calibration) changed; after './build.ps1 Calibrate', record the new hash in models/models.json."
    }
}

function Restore-Models([switch] $FloatOnly) {
    # Each built-in model: verify the package's file, patch it into models/, verify the result; int8 models
    # are then quantized from their fp32 model. A file that fails its hash is restored again; if it fails
    # again the build stops with a clear error.
    $catalog = Get-Content -Raw (Join-Path $ModelsDir 'models.json') | ConvertFrom-Json
    $packageRoot = Get-NuGetPackageRoot
    foreach ($model in $catalog.models) {
        $destination = Join-Path $ModelsDir $model.file
        if ((Test-Path -LiteralPath $destination) -and (Get-FileSha256 $destination) -eq $model.sha256) { continue }
        if ($model.PSObject.Properties['quantization']) {
            if (-not $FloatOnly) { Invoke-ModelQuantization $catalog $model }
            continue
        }

        $packageDir = Join-Path $packageRoot "$($model.source.package.ToLowerInvariant())/$($model.source.version)"
        $source = Join-Path $packageDir $model.source.path
        for ($attempt = 1; ; $attempt++) {
            if ((Test-Path -LiteralPath $source) -and (Get-FileSha256 $source) -eq $model.source.sha256) { break }
            if ($attempt -gt 1) {
                throw "Model '$($model.name)': $source is missing or fails its SHA-256 check ($($model.source.sha256)) even after a fresh restore of $($model.source.package) $($model.source.version)."
            }
            Write-Warning "Model '$($model.name)': the package copy is missing or corrupt; restoring $($model.source.package) $($model.source.version) again."
            Remove-Item -LiteralPath $packageDir -Recurse -Force -ErrorAction SilentlyContinue
            Restore-Packages
        }

        Write-Host "Patching $($model.name): batch dimension made symbolic -> models/$($model.file)"
        Invoke-ModelPatch $source $destination
        $actual = Get-FileSha256 $destination
        if ($actual -ne $model.sha256) {
            Remove-Item -LiteralPath $destination -Force
            throw "Model '$($model.name)': the patched file's SHA-256 is $actual, not $($model.sha256). The patch is wrong for this model version."
        }
    }
}

function Install-Pester {
    # Pester comes from its NuGet package (tools/ holds an importable module), never from the Gallery.
    $target = Join-Path $OutDir "tools/Pester/$PesterVersion"
    if (Test-Path -LiteralPath (Join-Path $target 'Pester.psd1')) { return $target }
    $source = Join-Path (Get-NuGetPackageRoot) "pester/$PesterVersion/tools"
    if (-not (Test-Path -LiteralPath (Join-Path $source 'Pester.psd1'))) {
        throw "Pester $PesterVersion was not restored to $source."
    }
    New-Item -ItemType Directory -Force -Path $target | Out-Null
    Copy-Item -Path (Join-Path $source '*') -Destination $target -Recurse -Force
    return $target
}

function Build-Code {
    Restore-Packages
    Invoke-Native dotnet @('build', (Join-Path $Root 'src/GridTsne/GridTsne.csproj'), '-c', $Configuration, '--no-restore', '--nologo', '--verbosity', 'quiet')
}

function Invoke-Build {
    Build-Code
    Restore-Models
    Build-Help
}

function Invoke-Calibrate {
    Build-Code
    Restore-Models -FloatOnly
    $catalog = Get-Content -Raw (Join-Path $ModelsDir 'models.json') | ConvertFrom-Json
    foreach ($model in $catalog.models.Where({ $_.PSObject.Properties['quantization'] })) {
        $calibration = Join-Path $ModelsDir $model.quantization.calibration
        $recorded = Get-Content -Raw -LiteralPath $calibration | ConvertFrom-Json
        Write-Host "Calibrating $($model.name) on samples/photos ($($recorded.method), $($recorded.scope))"
        Invoke-EngineStep ("[void][GridTsne.Engine.Quantization.Int8ModelBuilder]::CalibrateFile($(ConvertTo-Literal $ModelsDir), $(ConvertTo-Literal $model.quantization.from), " +
            "$(ConvertTo-Literal (Join-Path $Root 'samples/photos')), $(ConvertTo-Literal $calibration), '$($recorded.scope)', '$($recorded.method)', $([double]$recorded.percentile), " +
            "[string[]]@($(@($recorded.PSObject.Properties['floatNodes'] ? $recorded.floatNodes : @()).ForEach({ ConvertTo-Literal $_ }) -join ', ')))")
        $source = Join-Path $ModelsDir $catalog.models.Where({ $_.name -eq $model.quantization.from })[0].file
        $destination = Join-Path $ModelsDir $model.file
        Invoke-EngineStep "[GridTsne.Engine.Quantization.Int8ModelBuilder]::BuildFile($(ConvertTo-Literal $source), $(ConvertTo-Literal $calibration), $(ConvertTo-Literal $destination))"
        Write-Host "$($model.name): record sha256 $(Get-FileSha256 $destination) in models/models.json (now $($model.sha256))."
    }
}

function Build-Help {
    # MAML from docs/ and the compiled cmdlets, regenerated when either changed. A child pwsh imports the module.
    # Get-Help looks in <module base>/<culture>, so the help goes to en-US beside the manifest.
    $target = Join-Path $Root 'en-US/GridTsne.dll-Help.xml'
    $sources = @(Get-ChildItem -LiteralPath (Join-Path $Root 'docs') -Recurse -File) + (Get-Item (Join-Path $Root 'bin/GridTsne.dll'))
    $newest = ($sources | Measure-Object -Property LastWriteTimeUtc -Maximum).Maximum
    if ((Test-Path -LiteralPath $target) -and (Get-Item -LiteralPath $target).LastWriteTimeUtc -ge $newest) { return }
    Invoke-Native $Pwsh @('-NoProfile', '-NonInteractive', '-File', (Join-Path $Root 'docs/New-MamlHelp.ps1'),
        '-ManifestPath', (Join-Path $Root 'GridTsne.psd1'), '-DocsPath', (Join-Path $Root 'docs/cmdlets'), '-OutputPath', (Join-Path $Root 'en-US'))
}

function Invoke-EngineTests {
    $resultsDir = Join-Path $OutDir 'test-results'
    $trx = Join-Path $resultsDir 'engine.trx'
    Remove-Item -LiteralPath $trx -ErrorAction SilentlyContinue
    $arguments = @('test', (Join-Path $Root 'tests/GridTsne.Engine.Tests/GridTsne.Engine.Tests.csproj'), '-c', $Configuration,
        '--nologo', '--logger', 'trx;LogFileName=engine.trx', '--results-directory', $resultsDir, '--logger', 'console;verbosity=minimal')
    if ($EngineFilter) { $arguments += @('--filter', $EngineFilter) }
    & dotnet @arguments | Out-Host
    $exitCode = $LASTEXITCODE
    if (-not (Test-Path -LiteralPath $trx)) {
        Write-Warning "The engine suite produced no results (exit code $exitCode)."
        return [pscustomobject]@{ Passed = 0; Failed = 1 }
    }
    $counters = ([xml](Get-Content -Raw -LiteralPath $trx)).TestRun.ResultSummary.Counters
    $failed = [int]$counters.failed + [int]$counters.error + [int]$counters.timeout + [int]$counters.aborted
    if ($exitCode -ne 0 -and $failed -eq 0) { $failed = 1 }
    return [pscustomobject]@{ Passed = [int]$counters.passed; Failed = $failed }
}

function Invoke-PesterTests {
    $pester = Install-Pester
    $summary = Join-Path $OutDir 'test-results/pester.json'
    New-Item -ItemType Directory -Force -Path (Split-Path $summary) | Out-Null
    Remove-Item -LiteralPath $summary -ErrorAction SilentlyContinue
    $runner = Join-Path $Root 'tests/Pester/Invoke-PesterSuite.ps1'
    $arguments = @('-NoProfile', '-NonInteractive', '-File', $runner, '-PesterPath', $pester, '-SummaryPath', $summary)
    if ($PesterFilter) { $arguments += @('-Filter', $PesterFilter) }
    & $Pwsh @arguments | Out-Host
    if (-not (Test-Path -LiteralPath $summary)) {
        Write-Warning "The Pester suite produced no results (exit code $LASTEXITCODE)."
        return [pscustomobject]@{ Passed = 0; Failed = 1 }
    }
    $counts = Get-Content -Raw -LiteralPath $summary | ConvertFrom-Json
    if ($counts.Passed -isnot [long] -or $counts.Failed -isnot [long]) {
        Write-Warning "The Pester suite's summary has no counts: $($counts | ConvertTo-Json -Compress)"
        return [pscustomobject]@{ Passed = 0; Failed = 1 }
    }
    return $counts
}

function Invoke-Test {
    Invoke-Build
    $passed = 0
    $failed = 0
    if (-not $SkipEngineTests) {
        $engine = Invoke-EngineTests
        Write-Host "Engine (xunit): $($engine.Passed) passed, $($engine.Failed) failed"
        $passed += $engine.Passed; $failed += $engine.Failed
    }
    if (-not $SkipPesterTests) {
        $cmdlets = Invoke-PesterTests
        Write-Host "Cmdlets (Pester): $($cmdlets.Passed) passed, $($cmdlets.Failed) failed"
        $passed += $cmdlets.Passed; $failed += $cmdlets.Failed
    }
    Write-Host "Tests: $passed passed, $failed failed"
    if ($failed -gt 0 -or $passed -eq 0) { exit 1 }
}

function Invoke-Demo {
    Invoke-Build
    $demo = Join-Path $Root 'samples/Invoke-Demo.ps1'
    Invoke-Native $Pwsh @('-NoProfile', '-NonInteractive', '-File', $demo, '-OutputDirectory', $OutDir)
}

function Get-ProjectUri {
    if ($ProjectUri) {
        if (-not $ProjectUri.IsAbsoluteUri -or $ProjectUri.Scheme -notin 'https', 'http') { throw "-ProjectUri must be an http(s) address, not '$ProjectUri'." }
        return $ProjectUri.AbsoluteUri
    }
    if (-not (Get-Command git -CommandType Application -ErrorAction SilentlyContinue)) { return $null }
    $origin = & git -C $Root remote get-url origin 2>$null
    if ($LASTEXITCODE -ne 0 -or -not $origin) { return $null }
    $remote = $null
    if (-not [uri]::TryCreate($origin.Trim(), [UriKind]::Absolute, [ref] $remote) -or $remote.Scheme -ne 'https') { return $null }
    # The page, not the clone address: no credentials, no '.git'.
    $page = [UriBuilder]::new($remote)
    $page.UserName = ''; $page.Password = ''
    $page.Path = $page.Path -replace '\.git/?$', ''
    return $page.Uri.AbsoluteUri
}

function Copy-Licenses([System.IO.DirectoryInfo] $Destination) {
    # Each shipped component's licence and notices: from its restored package where the package has them,
    # else from docs/licenses (ImageSharp, MathNet.Numerics and System.Numerics.Tensors name their licence only).
    Copy-Item -Path (Join-Path $Root 'docs/licenses/*') -Destination $Destination
    $packages = Get-NuGetPackageRoot
    $versions = [xml](Get-Content -Raw (Join-Path $Root 'src/Directory.Packages.props'))
    $onnxVersion = $versions.Project.ItemGroup.PackageVersion.Where({ $_.Include -eq 'Microsoft.ML.OnnxRuntime' }).Version
    $tensorsVersion = $versions.Project.ItemGroup.PackageVersion.Where({ $_.Include -eq 'System.Numerics.Tensors' }).Version
    $skiaVersion = $versions.Project.ItemGroup.PackageVersion.Where({ $_.Include -eq 'SkiaSharp' }).Version
    $modelSource = (Get-Content -Raw (Join-Path $ModelsDir 'models.json') | ConvertFrom-Json).models.Where({ $_.file -eq 'resnet18.onnx' })[0].source
    $modelPackage = "$($modelSource.package.ToLowerInvariant())/$($modelSource.version)"
    $files = [ordered]@{
        'OnnxRuntime-LICENSE.txt'                         = "microsoft.ml.onnxruntime/$onnxVersion/LICENSE"
        'OnnxRuntime-ThirdPartyNotices.txt'               = "microsoft.ml.onnxruntime/$onnxVersion/ThirdPartyNotices.txt"
        'System.Numerics.Tensors-THIRD-PARTY-NOTICES.txt' = "system.numerics.tensors/$tensorsVersion/THIRD-PARTY-NOTICES.TXT"
        'SkiaSharp-LICENSE.txt'                           = "skiasharp/$skiaVersion/LICENSE.txt"
        # The same notices ship with each native-assets package: those of the native libSkiaSharp (Skia, libjpeg-turbo, ...).
        'SkiaSharp-THIRD-PARTY-NOTICES.txt'               = "skiasharp.nativeassets.linux.nodependencies/$skiaVersion/THIRD-PARTY-NOTICES.txt"
        'ResNet18-LICENSE.txt'                            = "$modelPackage/LICENSE"
        'ResNet18-THIRD-PARTY-NOTICES.txt'                = "$modelPackage/THIRD-PARTY-NOTICES.TXT"
    }
    foreach ($name in $files.Keys) {
        Copy-Item -LiteralPath (Join-Path $packages $files[$name]) -Destination (Join-Path $Destination $name)
    }
}

function Invoke-Package {
    Invoke-Build
    $version = $Manifest.ModuleVersion
    $target = Join-Path $OutDir "GridTsne/$version"
    Remove-Item -LiteralPath (Join-Path $OutDir 'GridTsne') -Recurse -Force -ErrorAction SilentlyContinue
    New-Item -ItemType Directory -Force -Path $target | Out-Null

    $manifestText = Get-Content -Raw -LiteralPath (Join-Path $Root 'GridTsne.psd1')
    $projectPage = Get-ProjectUri
    if ($projectPage) {
        $manifestText = $manifestText -replace '(?m)^(\s*)# ProjectUri:.*$', "`${1}ProjectUri   = '$($projectPage.Replace("'", "''"))'"
    } else {
        Write-Warning 'The packaged manifest has no ProjectUri: pass -ProjectUri, or add a git remote named origin with an https address.'
    }
    Set-Content -LiteralPath (Join-Path $target 'GridTsne.psd1') -Value $manifestText -NoNewline -Encoding utf8
    Copy-Item -LiteralPath (Join-Path $Root 'README.md') -Destination $target
    Copy-Item -LiteralPath (Join-Path $Root 'docs/LICENSE.txt'), (Join-Path $Root 'docs/THIRD-PARTY-NOTICES.md') -Destination $target
    Copy-Licenses (New-Item -ItemType Directory -Force -Path (Join-Path $target 'licenses'))
    Copy-Item -LiteralPath (Join-Path $Root 'bin') -Destination $target -Recurse
    Copy-Item -LiteralPath (Join-Path $Root 'en-US') -Destination $target -Recurse
    # Native ONNX Runtime and SkiaSharp for the platforms in GridTsne.csproj's ModuleNativeRids, the one list of them; a
    # runtimes folder that an earlier build with another list left in bin/ stays out.
    $project = [xml](Get-Content -Raw (Join-Path $Root 'src/GridTsne/GridTsne.csproj'))
    $keep = @($project.Project.PropertyGroup.ModuleNativeRids) -split ';' | Where-Object { $_ }
    Get-ChildItem -LiteralPath (Join-Path $target 'bin/deps/runtimes') -Directory |
        Where-Object Name -NotIn $keep | Remove-Item -Recurse -Force
    Get-ChildItem -LiteralPath $target -Recurse -Filter '*.pdb' | Remove-Item -Force

    $models = New-Item -ItemType Directory -Force -Path (Join-Path $target 'models')
    Copy-Item -LiteralPath (Join-Path $ModelsDir 'models.json') -Destination $models
    $catalog = Get-Content -Raw (Join-Path $ModelsDir 'models.json') | ConvertFrom-Json
    foreach ($model in $catalog.models) {
        Copy-Item -LiteralPath (Join-Path $ModelsDir $model.file) -Destination $models
    }
    Write-Host "Module package: $target"
}

function Invoke-Clean {
    foreach ($path in @('bin', 'out', 'en-US', 'src/GridTsne/bin', 'src/GridTsne/obj', 'src/GridTsne.Engine/bin', 'src/GridTsne.Engine/obj',
            'tests/GridTsne.Engine.Tests/bin', 'tests/GridTsne.Engine.Tests/obj')) {
        Remove-Item -LiteralPath (Join-Path $Root $path) -Recurse -Force -ErrorAction SilentlyContinue
    }
    Get-ChildItem -LiteralPath $ModelsDir -Filter '*.onnx' | Remove-Item -Force
}

switch ($Task) {
    'Build' { Invoke-Build }
    'Test' { Invoke-Test }
    'Demo' { Invoke-Demo }
    'Package' { Invoke-Package }
    'Calibrate' { Invoke-Calibrate }
    'Clean' { Invoke-Clean }
}
