# Loading, isolation, privacy and the built-in model: the module foundation.
BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'TestImages.psm1') -Force
    $script:manifest = Get-GridTsneManifestPath
    $script:repositoryRoot = Split-Path $manifest
    $script:photo = (Get-ChildItem (Join-Path $repositoryRoot 'samples/photos') -Filter 'Bus__*' | Select-Object -First 1).FullName
    $script:otherMathNet = Join-Path (Get-NuGetPackageRoot) 'mathnet.numerics/4.15.0/lib/netstandard2.0/MathNet.Numerics.dll'
    $script:otherSkia = Join-Path (Get-NuGetPackageRoot) 'skiasharp/2.88.9/lib/net6.0/SkiaSharp.dll'
    $script:otherSkiaNative = Join-Path (Get-NuGetPackageRoot) 'skiasharp.nativeassets.linux.nodependencies/2.88.9/runtimes/linux-x64/native/libSkiaSharp.so'
}

Describe 'Import in a fresh pwsh' {
    It 'loads native ONNX Runtime from the module folder and embeds a photo' {
        $run = Invoke-ChildPwsh @"
Import-Module '$manifest'
`$e = Get-ImageEmbedding -LiteralPath '$photo'
"dimensions=`$(`$e.Dimensions)"
if (`$IsLinux) { (Get-Content /proc/self/maps | Select-String 'libonnxruntime' | Select-Object -First 1).Line }
"@
        $run.ExitCode | Should -Be 0 -Because ($run.Output -join "`n")
        $run.Output | Should -Contain 'dimensions=512'
        if ($IsLinux) {
            ($run.Output -join "`n") | Should -Match ([regex]::Escape((Join-Path $repositoryRoot 'bin/deps/runtimes/linux-x64/native/libonnxruntime.so')))
        }
    }

    It 'keeps its dependencies in its own load context, beside another MathNet version in the default one' {
        Test-Path -LiteralPath $otherMathNet | Should -BeTrue -Because 'build.ps1 restores MathNet.Numerics 4.15.0 for this test'
        $run = Invoke-ChildPwsh @"
Add-Type -LiteralPath '$otherMathNet'
Import-Module '$manifest'
`$points = 0..29 | ForEach-Object { [pscustomobject]@{ Path = "item`$_"; Vector = [double[]]((`$_ % 3), ((`$_ * 7) % 5), (`$_ % 2), 1) } } | Invoke-Tsne -Iterations 300 -PcaDimensions 3
"points=`$(@(`$points).Count)"
[AppDomain]::CurrentDomain.GetAssemblies() | Where-Object { `$_.GetName().Name -in 'MathNet.Numerics', 'SixLabors.ImageSharp', 'Microsoft.ML.OnnxRuntime', 'GridTsne.Engine' } |
    ForEach-Object { '{0} {1} {2}' -f `$_.GetName().Name, `$_.GetName().Version, [System.Runtime.Loader.AssemblyLoadContext]::GetLoadContext(`$_).Name }
"@
        $run.ExitCode | Should -Be 0 -Because ($run.Output -join "`n")
        $run.Output | Should -Contain 'points=30'
        $run.Output | Should -Contain 'MathNet.Numerics 4.15.0.0 Default'
        $run.Output | Should -Contain 'MathNet.Numerics 5.0.0.0 GridTsne'
        $run.Output | Should -Contain 'GridTsne.Engine 0.1.0.0 GridTsne'
    }

    It 'decodes camera JPEGs with its own SkiaSharp and native libSkiaSharp, beside another version loaded first' -Skip:(-not ($IsLinux -and [Runtime.InteropServices.RuntimeInformation]::ProcessArchitecture -eq 'X64')) {
        Test-Path -LiteralPath $otherSkia, $otherSkiaNative | Should -Be @($true, $true) -Because 'build.ps1 restores SkiaSharp 2.88.9 for this test'
        # Large enough to be decoded at 1/4 by libjpeg-turbo through SkiaSharp.
        $camera = (New-TestImage -Path (Join-Path $TestDrive 'camera.jpg') -Width 1600 -Height 1200 -Pattern quadrants).FullName
        $run = Invoke-ChildPwsh @"
`$other = [Reflection.Assembly]::LoadFrom('$otherSkia')
`$handle = [Runtime.InteropServices.NativeLibrary]::Load('$otherSkiaNative')
[Runtime.InteropServices.NativeLibrary]::SetDllImportResolver(`$other, [Runtime.InteropServices.DllImportResolver]{ param(`$name) if (`$name -eq 'libSkiaSharp') { `$handle } else { [IntPtr]::Zero } })
"other milestone=`$([SkiaSharp.SkiaSharpVersion]::Native.Major)"
Import-Module '$manifest'
`$e = Get-ImageEmbedding -LiteralPath '$camera'
"width=`$(`$e.Width) dimensions=`$(`$e.Dimensions)"
`$bitmap = [SkiaSharp.SKBitmap]::new(4, 3); "other bitmap=`$(`$bitmap.Width)x`$(`$bitmap.Height)"; `$bitmap.Dispose()
[AppDomain]::CurrentDomain.GetAssemblies() | Where-Object { `$_.GetName().Name -eq 'SkiaSharp' } |
    ForEach-Object { '{0} {1} {2}' -f `$_.GetName().Name, `$_.GetName().Version, [System.Runtime.Loader.AssemblyLoadContext]::GetLoadContext(`$_).Name }
Get-Content /proc/self/maps | ForEach-Object { (`$_ -split '\s+')[-1] } | Where-Object { `$_ -like '*libSkiaSharp*' } | Sort-Object -Unique | ForEach-Object { "native=`$_" }
"@
        $run.ExitCode | Should -Be 0 -Because ($run.Output -join "`n")
        $run.Output | Should -Contain 'other milestone=88'
        $run.Output | Should -Contain 'width=1600 dimensions=512'
        $run.Output | Should -Contain 'other bitmap=4x3'
        $run.Output | Should -Contain 'SkiaSharp 2.88.0.0 Default'
        $run.Output | Should -Contain 'SkiaSharp 3.119.0.0 GridTsne'
        $run.Output | Should -Contain "native=$otherSkiaNative"
        $run.Output | Should -Contain "native=$(Join-Path $repositoryRoot 'bin/deps/runtimes/linux-x64/native/libSkiaSharp.so')"
    }
}

Describe 'Privacy' -Skip:(-not $IsLinux) {
    It 'records no ONNX Runtime telemetry in the home folder' {
        $emptyHome = Join-Path ([System.IO.Path]::GetTempPath()) "gridtsne-home-$([guid]::NewGuid())"
        New-Item -ItemType Directory -Path $emptyHome | Out-Null
        try {
            $run = Invoke-ChildPwsh -Environment @{ HOME = $emptyHome; XDG_CACHE_HOME = $null; ORT_DISABLE_TELEMETRY = $null } @"
Import-Module '$manifest'
(Get-ImageEmbedding -LiteralPath '$photo').Dimensions
"@
            $run.ExitCode | Should -Be 0 -Because ($run.Output -join "`n")
            $run.Output | Should -Contain '512'
            $written = Get-ChildItem -LiteralPath $emptyHome -Recurse -Force | ForEach-Object FullName
            $written | Where-Object { $_ -match 'DeveloperTools|onnxruntime' } | Should -BeNullOrEmpty
        }
        finally {
            Remove-Item -LiteralPath $emptyHome -Recurse -Force -ErrorAction SilentlyContinue
        }
    }
}

Describe 'Built-in model restore' {
    # Always on copies: the checkout's models/ is never touched.
    BeforeAll {
        $script:catalog = Get-Content -Raw (Join-Path $repositoryRoot 'models/models.json') | ConvertFrom-Json
        $script:modelFile = $catalog.models[0].file
        $script:original = Join-Path $repositoryRoot "models/$modelFile"
        $script:originalHash = (Get-FileHash -LiteralPath $original -Algorithm SHA256).Hash
    }

    AfterAll {
        (Get-FileHash -LiteralPath $original -Algorithm SHA256).Hash | Should -Be $originalHash -Because "the checkout's model must be left as it was"
    }

    It 'refuses a corrupted model at run time with a clear error' {
        # A module folder of its own: the manifest, the built binaries (linked where the system allows) and
        # models/ with a corrupted copy of the model. The module finds its models beside bin/.
        $module = Join-Path $TestDrive 'module'
        New-Item -ItemType Directory -Path (Join-Path $module 'models') | Out-Null
        Copy-Item -LiteralPath $manifest -Destination $module
        if ($IsWindows) {
            Copy-Item -LiteralPath (Join-Path $repositoryRoot 'bin') -Destination $module -Recurse
        } else {
            New-Item -ItemType SymbolicLink -Path (Join-Path $module 'bin') -Target (Join-Path $repositoryRoot 'bin') | Out-Null
        }
        Copy-Item -LiteralPath (Join-Path $repositoryRoot 'models/models.json') -Destination (Join-Path $module 'models')
        $bytes = [System.IO.File]::ReadAllBytes($original)
        $bytes[$bytes.Length - 1000] = $bytes[$bytes.Length - 1000] -bxor 0xFF
        [System.IO.File]::WriteAllBytes((Join-Path $module "models/$modelFile"), $bytes)

        $run = Invoke-ChildPwsh @"
Import-Module '$(Join-Path $module 'GridTsne.psd1')'
try { Get-ImageEmbedding -LiteralPath '$photo' -Model '$($catalog.models[0].name)' -ErrorAction Stop; 'embedded' } catch { "error: `$(`$_.FullyQualifiedErrorId): `$(`$_.Exception.Message)" }
"@
        ($run.Output -join "`n") | Should -Not -Match 'embedded'
        ($run.Output -join "`n") | Should -Match 'ModelHashMismatch'
        ($run.Output -join "`n") | Should -Match 'SHA-256'
    }

    It 'detects a corrupted model and restores it on the next build' {
        $models = New-Item -ItemType Directory -Path (Join-Path $TestDrive 'models')
        # The catalog and the int8 model's calibration: a build reads both from its models folder.
        Copy-Item -Path (Join-Path $repositoryRoot 'models/*.json') -Destination $models
        $copy = Join-Path $models $modelFile
        [System.IO.File]::WriteAllBytes($copy, [byte[]](1..100))
        $pwsh = (Get-Command pwsh -CommandType Application | Select-Object -First 1).Source
        $output = & $pwsh -NoProfile -NonInteractive -File (Join-Path $repositoryRoot 'build.ps1') Build -ModelsPath $models 2>&1
        $LASTEXITCODE | Should -Be 0 -Because ($output -join "`n")
        (Get-FileHash -LiteralPath $copy -Algorithm SHA256).Hash | Should -Be $catalog.models[0].sha256.ToUpperInvariant()
    }
}

Describe 'Built-in int8 model rebuild' {
    BeforeAll {
        $script:catalog = Get-Content -Raw (Join-Path $repositoryRoot 'models/models.json') | ConvertFrom-Json
        $script:int8 = $catalog.models.Where({ $_.PSObject.Properties['quantization'] })[0]
        $script:model = Join-Path $repositoryRoot "models/$($int8.file)"
        $script:backup = "$model.test-backup"
        Copy-Item -LiteralPath $model -Destination $backup
    }

    AfterAll {
        Move-Item -LiteralPath $backup -Destination $model -Force
    }

    It 'refuses a corrupted int8 model at run time and quantizes it again, to the same bytes, on the next build' {
        $bytes = [System.IO.File]::ReadAllBytes($backup)
        $bytes[$bytes.Length - 1000] = $bytes[$bytes.Length - 1000] -bxor 0xFF
        [System.IO.File]::WriteAllBytes($model, $bytes)
        $run = Invoke-ChildPwsh @"
Import-Module '$manifest'
try { Get-ImageEmbedding -LiteralPath '$photo' -Model $($int8.name) -ErrorAction Stop; 'embedded' } catch { "error: `$(`$_.FullyQualifiedErrorId): `$(`$_.Exception.Message)" }
"@
        ($run.Output -join "`n") | Should -Not -Match 'embedded'
        ($run.Output -join "`n") | Should -Match 'ModelHashMismatch.*SHA-256'

        $pwsh = (Get-Command pwsh -CommandType Application | Select-Object -First 1).Source
        $output = & $pwsh -NoProfile -NonInteractive -File (Join-Path $repositoryRoot 'build.ps1') Build 2>&1
        $LASTEXITCODE | Should -Be 0 -Because ($output -join "`n")
        ($output -join "`n") | Should -Match 'Quantizing ResNet18 to int8'
        (Get-FileHash -LiteralPath $model -Algorithm SHA256).Hash | Should -Be $int8.sha256.ToUpperInvariant()
    }
}
