BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'TestImages.psm1') -Force
    Import-Module (Get-GridTsneManifestPath)

    $script:repositoryRoot = (Resolve-Path (Join-Path $PSScriptRoot '../..')).Path
    $script:samples = Get-ChildItem (Join-Path $repositoryRoot 'samples/photos') -File | Sort-Object Name
    $script:photos = Join-Path $TestDrive 'photos'
    New-Item -ItemType Directory -Path $photos | Out-Null
    # Names a shell gets wrong: spaces, quotes, wildcard brackets, non-ASCII.
    $script:awkwardNames = 'with space.png', "it's.png", 'brackets[1].png', 'ünïcødé 写真.png'
    for ($index = 0; $index -lt 6; $index++) {
        Copy-Item -LiteralPath $samples[$index * 40].FullName -Destination (Join-Path $photos "photo$index.png")
    }
    for ($index = 0; $index -lt $awkwardNames.Count; $index++) {
        Copy-Item -LiteralPath $samples[$index * 50 + 7].FullName -Destination (Join-Path $photos $awkwardNames[$index])
    }
    $script:good = Join-Path $photos 'photo0.png'
    $script:good2 = Join-Path $photos 'photo1.png'

    # A tiny real ONNX model (one Identity node) whose input is float [N,10]: not an image model.
    $script:vectorModel = Join-Path $TestDrive 'vector.onnx'
    [IO.File]::WriteAllBytes($vectorModel, [Convert]::FromHexString('08074202100d3a440a100a015812015922084964656e74697479120474696e795a140a0158120f0a0d080112090a0312014e0a02080a62140a0159120f0a0d080112090a0312014e0a02080a'))

    function Invoke-Embedding {
        # Runs Get-ImageEmbedding with the given arguments; returns its output and its non-terminating errors.
        param([hashtable] $Parameters = @{}, [object[]] $InputObject)
        $errors = $null
        $output = if ($PSBoundParameters.ContainsKey('InputObject')) {
            $InputObject | Get-ImageEmbedding @Parameters -ErrorVariable errors -ErrorAction SilentlyContinue
        } else {
            Get-ImageEmbedding @Parameters -ErrorVariable errors -ErrorAction SilentlyContinue
        }
        [pscustomobject]@{ Output = @($output); Errors = @($errors) }
    }

    function Get-Cosine([float[]] $A, [float[]] $B) {
        $dot = 0.0; $na = 0.0; $nb = 0.0
        for ($i = 0; $i -lt $A.Count; $i++) { $dot += $A[$i] * $B[$i]; $na += $A[$i] * $A[$i]; $nb += $B[$i] * $B[$i] }
        $dot / [math]::Sqrt($na * $nb)
    }
}

Describe 'Get-ImageEmbedding' {
    Context 'Output' {
        It 'embeds photos piped from Get-ChildItem as 512-d vectors of the default model, ResNet18-Int8' {
            $files = Get-ChildItem -LiteralPath $photos -Filter 'photo*.png' | Sort-Object Name
            $result = $files | Get-ImageEmbedding
            $result.Count | Should -Be $files.Count
            $result[0] | Should -BeOfType 'GridTsne.ImageEmbedding'
            $result.Path | Should -Be $files.FullName
            $result | ForEach-Object {
                $_.Model | Should -Be 'ResNet18-Int8'
                $_.Dimensions | Should -Be 512
                $_.Vector.Count | Should -Be 512
                ($_.Vector | Measure-Object -Minimum).Minimum | Should -BeGreaterOrEqual 0
                $size = Get-TestImageSize -Path $_.Path
                $_.Width | Should -Be $size.Width
                $_.Height | Should -Be $size.Height
            }
        }

        It 'declares its output type' {
            (Get-Command Get-ImageEmbedding).OutputType.Type | Should -Be ([GridTsne.ImageEmbedding])
        }

        It 'shows Path, Model and the dimension count, never the vector' {
            $text = Get-ImageEmbedding -LiteralPath $good | Format-Table | Out-String -Width 200
            $text | Should -Match 'Path\s+Model\s+Dimensions'
            $text | Should -Match 'ResNet18-Int8\s+512'
            $text.Length | Should -BeLessThan 1000
        }

        It 'keeps the thumbnail hidden: Export-Csv leaves it out, and -ThumbnailSize 0 makes none' {
            $result = Get-ImageEmbedding -LiteralPath $good -ThumbnailSize 64
            $result.Thumbnail.ShortSide | Should -Be 64
            ($result | Get-Member -Name Thumbnail) | Should -BeNullOrEmpty
            $csv = Join-Path $TestDrive 'embedding.csv'
            $result | Export-Csv -LiteralPath $csv
            (Get-Content -LiteralPath $csv -TotalCount 1) | Should -Not -Match 'Thumbnail'
            (Get-ImageEmbedding -LiteralPath $good -ThumbnailSize 0).Thumbnail | Should -BeNullOrEmpty
        }

        It 'returns results in input order with parallel decoding' {
            $inputs = @(Get-ChildItem -LiteralPath $photos -File | Sort-Object Name -Descending) * 2
            $result = $inputs | Get-ImageEmbedding -ThrottleLimit 4 -BatchSize 3
            $result.Path | Should -Be $inputs.FullName
            (Get-Cosine $result[0].Vector $result[$inputs.Count / 2].Vector) | Should -BeGreaterThan 0.99999
        }

        It 'L2-normalises with -Normalize' {
            $raw = Get-ImageEmbedding -LiteralPath $good
            $unit = Get-ImageEmbedding -LiteralPath $good -Normalize
            $norm = [math]::Sqrt(($unit.Vector | ForEach-Object { $_ * $_ } | Measure-Object -Sum).Sum)
            $norm | Should -BeGreaterThan 0.9999
            $norm | Should -BeLessThan 1.0001
            (Get-Cosine $raw.Vector $unit.Vector) | Should -BeGreaterThan 0.9999
        }

        It 'squeezes instead of cropping with -Crop None' {
            # Three photos side by side: the crop sees only the middle one, the squeeze sees all three.
            $strip = [SixLabors.ImageSharp.Image[SixLabors.ImageSharp.PixelFormats.Rgb24]]::new(360, 120)
            $parts = 0, 100, 200 | ForEach-Object { [SixLabors.ImageSharp.Image]::Load($samples[$_].FullName) }
            for ($part = 0; $part -lt 3; $part++) {
                $picture = $parts[$part]
                $offset = [SixLabors.ImageSharp.Point]::new(120 * $part, 0)
                [SixLabors.ImageSharp.Processing.ProcessingExtensions]::Mutate($strip, [Action[SixLabors.ImageSharp.Processing.IImageProcessingContext]] {
                        param($context)
                        $null = [SixLabors.ImageSharp.Processing.DrawImageExtensions]::DrawImage($context, $picture, $offset, 1.0)
                    }.GetNewClosure())
            }
            $wide = Join-Path $TestDrive 'strip.png'
            [SixLabors.ImageSharp.ImageExtensions]::SaveAsPng($strip, $wide)
            $strip.Dispose(); $parts | ForEach-Object Dispose

            $cropped = Get-ImageEmbedding -LiteralPath $wide
            $squeezed = Get-ImageEmbedding -LiteralPath $wide -Crop None
            $middle = Get-ImageEmbedding -LiteralPath $samples[100].FullName
            (Get-Cosine $cropped.Vector $middle.Vector) | Should -BeGreaterThan 0.98
            (Get-Cosine $squeezed.Vector $middle.Vector) | Should -BeLessThan 0.9
        }

        It 'streams results while input is still arriving' {
            # Each photo comes only once the one before it is embedded (its cache entry exists), the way a slow
            # source feeds a pipeline: a cmdlet that held its results until the input ended would write none
            # before the last photo came.
            $cache = Join-Path $TestDrive 'streaming-cache'
            $events = [Collections.Generic.List[string]]::new()
            $photos = @($samples[40..43].FullName)
            & {
                for ($i = 0; $i -lt $photos.Count; $i++) {
                    $events.Add("in $i")
                    $photos[$i]
                    $deadline = [datetime]::UtcNow.AddMinutes(2)
                    while (@(Get-ChildItem -LiteralPath $cache -Recurse -File -Filter '*.gtemb' -ErrorAction Ignore).Count -le $i) {
                        if ([datetime]::UtcNow -gt $deadline) { throw "Photo $i was not embedded within 2 minutes." }
                        Start-Sleep -Milliseconds 20
                    }
                }
            } | Get-ImageEmbedding -CachePath $cache | ForEach-Object { $events.Add("out $($_.Path)") }
            @($events | Where-Object { $_ -like 'out *' }).Count | Should -Be 4
            $events.IndexOf(@($events | Where-Object { $_ -like 'out *' })[0]) | Should -BeLessThan $events.IndexOf("in $($photos.Count - 1)") -Because ($events -join ', ')
        }

        It 'applies EXIF orientation: a photo stored sideways with orientation 6 matches the upright one' {
            $upright = $samples[30].FullName
            $sideways = New-RotatedTestImage -UprightPath $upright -Path (Join-Path $TestDrive 'sideways.jpg')
            $size = Get-TestImageSize -Path $upright
            $a, $b, $other = Get-ImageEmbedding -LiteralPath $upright, $sideways.FullName, $samples[31].FullName
            $b.Width | Should -Be $size.Width
            $b.Height | Should -Be $size.Height
            (Get-Cosine $a.Vector $b.Vector) | Should -BeGreaterThan 0.95
            (Get-Cosine $a.Vector $b.Vector) | Should -BeGreaterThan (Get-Cosine $a.Vector $other.Vector)
        }
    }

    Context 'Paths' {
        BeforeEach { Push-Location -LiteralPath $photos }
        AfterEach { Pop-Location }

        It 'takes strings from the pipeline, relative to the PowerShell location' {
            [Environment]::CurrentDirectory | Should -Not -Be $photos
            $result = 'photo0.png', 'photo1.png' | Get-ImageEmbedding
            $result.Path | Should -Be @($good, $good2)
        }

        It 'expands wildcards in the positional -Path' {
            $result = Get-ImageEmbedding ./photo*.png
            $result.Count | Should -Be 6
            $result[0].Path | Should -Be $good
        }

        It 'reads <Name> with -LiteralPath, through Get-ChildItem and as a literal PSPath' -TestCases @(
            @{ Name = 'with space.png' }, @{ Name = "it's.png" }, @{ Name = 'brackets[1].png' }, @{ Name = 'ünïcødé 写真.png' }
        ) {
            $full = Join-Path $photos $Name
            (Get-ImageEmbedding -LiteralPath $Name).Path | Should -Be $full
            (Get-ImageEmbedding -LP "./$Name").Path | Should -Be $full
            (Get-Item -LiteralPath $Name | Get-ImageEmbedding).Path | Should -Be $full
            (Get-ImageEmbedding -PSPath "Microsoft.PowerShell.Core\FileSystem::$full").Path | Should -Be $full
        }

        It 'treats brackets in -Path as a wildcard, so a literal name needs -LiteralPath' {
            # [1] matches the character 1: 'brackets1.png', which does not exist; a wildcard that matches nothing is no error.
            $run = Invoke-Embedding @{ Path = 'brackets[1].png' }
            $run.Output | Should -BeNullOrEmpty
            $run.Errors | Should -BeNullOrEmpty
            (Invoke-Embedding @{ Path = 'brackets`[1`].png' }).Output.Path | Should -Be (Join-Path $photos 'brackets[1].png')
        }

        It 'reports a missing -Path without wildcards' {
            $run = Invoke-Embedding @{ Path = 'absent.png' }
            $run.Errors[0].FullyQualifiedErrorId | Should -BeLike 'PathNotFound*'
            $run.Errors[0].TargetObject | Should -Be 'absent.png'
        }

        It 'refuses a path on another provider with a clear error' {
            $run = Invoke-Embedding @{ LiteralPath = 'Env:PATH' }
            $run.Output | Should -BeNullOrEmpty
            $run.Errors[0].FullyQualifiedErrorId | Should -BeLike 'PathNotFileSystem*'
            $run.Errors[0].Exception.Message | Should -Match 'Environment provider'
        }

        It 'refuses a directory with a clear error and goes on' {
            $run = Invoke-Embedding -InputObject (Get-Item -LiteralPath $photos), (Get-Item -LiteralPath $good)
            $run.Output.Count | Should -Be 1
            $run.Errors[0].FullyQualifiedErrorId | Should -BeLike 'ImagePathIsDirectory*'
            $run.Errors[0].TargetObject | Should -Be $photos
            $run.Errors[0].Exception.Message | Should -Match 'directory'
        }
    }

    Context 'Bad input' {
        BeforeAll {
            $bad = Join-Path $TestDrive 'bad'
            New-Item -ItemType Directory -Path $bad | Out-Null
            $truncate = {
                param($Source, $Path)
                $bytes = [IO.File]::ReadAllBytes($Source)
                [IO.File]::WriteAllBytes($Path, $bytes[0..([int]($bytes.Length * 0.6))])
                $Path
            }
            $jpeg = New-TestImage -Path (Join-Path $bad 'whole.jpg') -Width 96 -Height 64 -Pattern gradient
            $heic = Join-Path $bad 'iphone.heic'
            [IO.File]::WriteAllBytes($heic, [byte[]](0, 0, 0, 0x18) + [Text.Encoding]::ASCII.GetBytes('ftypheicmif1heic') + [byte[]]::new(64))
            $script:badFiles = [ordered]@{
                Missing     = @{ Path = (Join-Path $bad 'missing.jpg'); ErrorId = 'ImageNotFound'; Category = 'ObjectNotFound'; Reason = 'does not exist' }
                Empty       = @{ Path = (New-Item (Join-Path $bad 'empty.jpg') -ItemType File).FullName; ErrorId = 'ImageEmpty'; Category = 'InvalidData'; Reason = 'empty' }
                TruncatedJpeg = @{ Path = (& $truncate $jpeg.FullName (Join-Path $bad 'cut.jpg')); ErrorId = 'ImageCorrupt'; Category = 'InvalidData'; Reason = 'truncated' }
                TruncatedPng = @{ Path = (& $truncate $good (Join-Path $bad 'cut.png')); ErrorId = 'ImageCorrupt'; Category = 'InvalidData'; Reason = 'truncated' }
                TextAsJpeg  = @{ Path = (Set-Content (Join-Path $bad 'notes.jpg') 'not a photo' -PassThru | ForEach-Object { Join-Path $bad 'notes.jpg' }); ErrorId = 'ImageFormatUnknown'; Category = 'InvalidData'; Reason = 'not an image format' }
                Unsupported = @{ Path = $heic; ErrorId = 'ImageFormatUnknown'; Category = 'InvalidData'; Reason = 'not an image format' }
            }
            # A file that exists but cannot be opened, even by root: a socket (Unix), a locked file (Windows).
            $unreadable = Join-Path $bad 'locked.jpg'
            if ($IsWindows) {
                Set-Content -LiteralPath $unreadable 'x'
                $script:holder = [IO.File]::Open($unreadable, 'Open', 'ReadWrite', 'None')
            } else {
                $script:holder = [Net.Sockets.Socket]::new([Net.Sockets.AddressFamily]::Unix, [Net.Sockets.SocketType]::Stream, [Net.Sockets.ProtocolType]::Unspecified)
                $holder.Bind([Net.Sockets.UnixDomainSocketEndPoint]::new($unreadable))
            }
            $badFiles.Unreadable = @{ Path = $unreadable; ErrorId = 'ImageUnreadable'; Category = 'PermissionDenied'; Reason = 'cannot be read' }
        }
        AfterAll { $holder.Dispose() }

        It 'gives <Kind> its own ErrorRecord naming the file and the reason, and goes on' -TestCases @(
            @{ Kind = 'Missing' }, @{ Kind = 'Empty' }, @{ Kind = 'TruncatedJpeg' }, @{ Kind = 'TruncatedPng' },
            @{ Kind = 'TextAsJpeg' }, @{ Kind = 'Unsupported' }, @{ Kind = 'Unreadable' }
        ) {
            $case = $badFiles[$Kind]
            $run = Invoke-Embedding @{ LiteralPath = $good, $case.Path, $good2 }
            $run.Output.Path | Should -Be @($good, $good2)
            $run.Errors.Count | Should -Be 1
            $record = $run.Errors[0]
            $record.FullyQualifiedErrorId | Should -Be "$($case.ErrorId),GridTsne.Commands.GetImageEmbeddingCommand"
            $record.CategoryInfo.Category | Should -Be $case.Category
            $record.TargetObject | Should -Be $case.Path
            $record.Exception.Message | Should -BeLike "*$(Split-Path -Leaf $case.Path)*"
            $record.Exception.Message | Should -BeLike "*$($case.Reason)*"
        }

        It 'refuses a 68-byte PNG claiming 36000x36000 pixels' {
            # PNG signature, an IHDR claiming 36000x36000 RGB, a tiny IDAT and IEND, with correct CRCs.
            $bomb = Join-Path $TestDrive 'bomb.png'
            [IO.File]::WriteAllBytes($bomb, [Convert]::FromHexString('89504E470D0A1A0A0000000D4948445200008CA000008CA0080200000036E0D7A40000000B4944415478DA636040050000100001AA19F8820000000049454E44AE426082'))
            (Get-Item -LiteralPath $bomb).Length | Should -BeLessOrEqual 80
            $run = Invoke-Embedding @{ LiteralPath = $bomb }
            $run.Errors[0].FullyQualifiedErrorId | Should -BeLike 'ImageTooLarge*'
            $run.Errors[0].CategoryInfo.Category | Should -Be 'LimitsExceeded'
            $run.Errors[0].Exception.Message | Should -Match '36000x36000'
        }

        It 'refuses a photo above -MaxPixels' {
            $run = Invoke-Embedding @{ LiteralPath = $good; MaxPixels = 1000 }
            $run.Errors[0].FullyQualifiedErrorId | Should -BeLike 'ImageTooLarge*'
            $run.Errors[0].Exception.Message | Should -Match 'MaxPixels'
        }

        It 'stops at the first bad file with -ErrorAction Stop, after writing what came before it' {
            $written = [Collections.Generic.List[object]]::new()
            $failure = $null
            try {
                $good, $badFiles.Empty.Path, $good2 | Get-ImageEmbedding -ErrorAction Stop | ForEach-Object { $written.Add($_) }
            } catch {
                $failure = $_
            }
            $failure.FullyQualifiedErrorId | Should -BeLike 'ImageEmpty*'
            $written.Path | Should -Be @($good)
        }
    }

    Context 'Cache' {
        It 'reuses cached embeddings, re-embeds a changed file, and survives two processes writing at once' {
            $cache = Join-Path $TestDrive 'cache'
            $work = Join-Path $TestDrive 'cached-photos'
            New-Item -ItemType Directory -Path $work | Out-Null
            Copy-Item -Path (Join-Path $photos 'photo*.png') -Destination $work
            $files = @(Get-ChildItem -LiteralPath $work | Sort-Object Name).FullName

            $first = $files | Get-ImageEmbedding -CachePath $cache
            @(Get-ChildItem -LiteralPath $cache -Recurse -Filter '*.gtemb').Count | Should -Be $files.Count
            $verbose = $files | Get-ImageEmbedding -CachePath $cache -Verbose 4>&1
            $second = $verbose | Where-Object { $_ -is [GridTsne.ImageEmbedding] }
            ($verbose | Where-Object { $_ -is [Management.Automation.VerboseRecord] }).Message | Should -Contain ($verbose | Where-Object { $_ -is [Management.Automation.VerboseRecord] -and $_.Message -match "Embedded 6 photos \(6 from the cache" }).Message
            for ($i = 0; $i -lt $files.Count; $i++) { $second[$i].Vector | Should -Be $first[$i].Vector }
            $second[0].Thumbnail | Should -Not -BeNullOrEmpty

            Copy-Item -LiteralPath $samples[201].FullName -Destination $files[0] -Force
            $changed = Get-ImageEmbedding -LiteralPath $files[0] -CachePath $cache -Verbose 4>&1
            ($changed | Where-Object { $_ -is [Management.Automation.VerboseRecord] -and $_.Message -match '\(0 from the cache' }) | Should -Not -BeNullOrEmpty

            # Two fresh processes embed the same photos into the same cache at the same time.
            $manifest = Get-GridTsneManifestPath
            $script = "Import-Module '$manifest'; Get-ChildItem -LiteralPath '$work' | Get-ImageEmbedding -CachePath '$cache' -ThumbnailSize 32 | Measure-Object | ForEach-Object Count"
            $pwsh = (Get-Command pwsh -CommandType Application | Select-Object -First 1).Source
            $jobs = 1..2 | ForEach-Object { Start-Process -FilePath $pwsh -ArgumentList '-NoProfile', '-NonInteractive', '-Command', $script -PassThru -RedirectStandardOutput (Join-Path $TestDrive "writer$_.txt") }
            $jobs | Wait-Process -Timeout 120
            $jobs | ForEach-Object { $_.ExitCode | Should -Be 0 }
            1..2 | ForEach-Object { Get-Content (Join-Path $TestDrive "writer$_.txt") | Should -Be $files.Count }
            @(Get-ChildItem -LiteralPath $cache -Recurse -Filter '*.tmp').Count | Should -Be 0
            $third = $files | Get-ImageEmbedding -CachePath $cache -ThumbnailSize 32 -Verbose 4>&1
            ($third | Where-Object { $_ -is [Management.Automation.VerboseRecord] -and $_.Message -match "Embedded 6 photos \(6 from the cache" }) | Should -Not -BeNullOrEmpty
        }
    }

    Context 'Cache errors' {
        It 'ends with one terminating error when -CachePath <Case>' -TestCases @(
            @{ Case = 'is a file'; ErrorId = 'CacheUnavailable' }
            @{ Case = 'is not on the file system'; ErrorId = 'PathNotFileSystem' }
        ) {
            $cachePath = 'Env:\cache'
            if ($Case -eq 'is a file') {
                $cachePath = Join-Path $TestDrive 'cache-file'
                Set-Content -LiteralPath $cachePath 'not a directory'
            }
            { Get-ImageEmbedding -LiteralPath $good -CachePath $cachePath -ErrorAction Continue } | Should -Throw -ErrorId "$ErrorId,GridTsne.Commands.GetImageEmbeddingCommand"
        }
    }

    Context 'Models' {
        It 'completes -Model with the built-in names' {
            $line = 'Get-ImageEmbedding -Model Res'
            (TabExpansion2 -inputScript $line -cursorColumn $line.Length).CompletionMatches.CompletionText | Should -Be @('ResNet18', 'ResNet18-Int8')
        }

        It 'embeds with -Model ResNet18-Int8 close to ResNet18, and the cache keeps the two models apart' {
            $cache = Join-Path $TestDrive 'int8-cache'
            $float = Get-ImageEmbedding -LiteralPath $good, $good2 -Model ResNet18 -CachePath $cache
            $verbose = Get-ImageEmbedding -LiteralPath $good, $good2 -Model ResNet18-Int8 -CachePath $cache -Verbose 4>&1
            $int8 = @($verbose | Where-Object { $_ -is [GridTsne.ImageEmbedding] })
            ($verbose | Where-Object { $_ -is [Management.Automation.VerboseRecord] -and $_.Message -match '\(0 from the cache' }) | Should -Not -BeNullOrEmpty
            $int8.Model | Should -Be @('ResNet18-Int8', 'ResNet18-Int8')
            $int8[0].Dimensions | Should -Be 512
            for ($i = 0; $i -lt 2; $i++) {
                $int8[$i].Vector | Should -Not -Be $float[$i].Vector
                (Get-Cosine $float[$i].Vector $int8[$i].Vector) | Should -BeGreaterThan 0.95
            }
        }

        It 'keeps the loaded model for the next call, with the same vectors bit for bit, until the module is removed' {
            # A child pwsh: removing the module here would disturb the other tests.
            $photosList = ($good, $good2 | ForEach-Object { "'" + ($_ -replace "'", "''") + "'" }) -join ','
            $run = Invoke-ChildPwsh -Command @"
`$ErrorActionPreference = 'Stop'
function Write-Call([string] `$Name) {
    `$records = Get-ImageEmbedding -LiteralPath $photosList -Model ResNet18 -Verbose 4>&1
    "`${Name}: " + @(`$records | Where-Object { `$_ -is [Management.Automation.VerboseRecord] -and `$_.Message -match 'model ResNet18 ' })[0].Message
    foreach (`$embedding in `$records | Where-Object { `$_ -isnot [Management.Automation.VerboseRecord] }) {
        "`${Name} vector: " + ((`$embedding.Vector | ForEach-Object { [BitConverter]::SingleToInt32Bits(`$_) }) -join ',')
    }
}
Import-Module '$((Get-GridTsneManifestPath) -replace "'", "''")'
Write-Call first
Write-Call second
Remove-Module GridTsne
Import-Module '$((Get-GridTsneManifestPath) -replace "'", "''")'
Write-Call third
"@
            $run.ExitCode | Should -Be 0 -Because ($run.Output -join "`n")
            ($run.Output -match '^first: ') | Should -Match '^first: Loaded model ResNet18 '
            ($run.Output -match '^second: ') | Should -Match '^second: Reused the loaded model ResNet18 '
            ($run.Output -match '^third: ') | Should -Match '^third: Loaded model ResNet18 '
            $first = @($run.Output -match '^first vector: ' -replace '^first vector: ')
            $first.Count | Should -Be 2
            @($run.Output -match '^second vector: ' -replace '^second vector: ') | Should -Be $first
            @($run.Output -match '^third vector: ' -replace '^third vector: ') | Should -Be $first
        }

        It 'ends with one terminating error before any photo is read when <Case>' -TestCases @(
            @{ Case = 'the model name is unknown'; Parameters = @{ Model = 'VGG99' }; ErrorId = 'ModelUnknown' }
            @{ Case = 'the model file is missing'; Parameters = @{ ModelPath = 'no-such-model.onnx' }; ErrorId = 'ModelNotFound' }
            @{ Case = 'the model file is not ONNX'; Parameters = @{ ModelPath = 'NOT-ONNX' }; ErrorId = 'ModelNotOnnx' }
            @{ Case = 'the model input is not [N,3,H,W]'; Parameters = @{ ModelPath = 'VECTOR' }; ErrorId = 'ModelInputUnsupported' }
        ) {
            $notOnnx = Join-Path $TestDrive 'notes.onnx'
            Set-Content -LiteralPath $notOnnx 'not a model'
            if ($Parameters.ModelPath -eq 'NOT-ONNX') { $Parameters.ModelPath = $notOnnx }
            if ($Parameters.ModelPath -eq 'VECTOR') { $Parameters.ModelPath = $vectorModel }
            $Error.Clear()
            $failure = $null
            try {
                # Bad photos too: reading any of them would add an image error.
                (Join-Path $TestDrive 'missing-photo.jpg'), $good | Get-ImageEmbedding @Parameters -ErrorAction Continue
            } catch {
                $failure = $_
            }
            $failure.FullyQualifiedErrorId | Should -Be "$ErrorId,GridTsne.Commands.GetImageEmbeddingCommand"
            @($Error | Where-Object { $_.FullyQualifiedErrorId -like 'Image*' }).Count | Should -Be 0
        }

        It 'runs any ONNX image model with -ModelPath and explicit preprocessing' {
            # The unpatched ResNet18 from its NuGet package: batch fixed at 1, preprocessing given by hand.
            $packages = Get-NuGetPackageRoot
            $original = Join-Path $packages 'microsoft.ml.dnnimagefeaturizer.resnet18/0.23.1/tools/DnnImageModels/ResNet18Onnx/ResNet18.onnx'
            $builtIn = Get-ImageEmbedding -LiteralPath $good, $good2 -Model ResNet18
            $custom = Get-ImageEmbedding -LiteralPath $good, $good2 -ModelPath $original -ChannelOrder BGR -PixelScale 1 -Mean 103.06, 115.90, 123.15 -Std 1, 1, 1 -OutputName Pooling395_Output_0 -BatchSize 16
            $custom.Model | Should -Be @('ResNet18', 'ResNet18')
            (Get-Cosine $builtIn[0].Vector $custom[0].Vector) | Should -BeGreaterThan 0.9999
            (Get-Cosine $builtIn[1].Vector $custom[1].Vector) | Should -BeGreaterThan 0.9999
            # ImageNet normalisation (the -ModelPath default) is not what this model was trained with.
            $imageNet = Get-ImageEmbedding -LiteralPath $good -ModelPath $original
            (Get-Cosine $builtIn[0].Vector $imageNet.Vector) | Should -BeLessThan 0.99
        }

        It 'records no telemetry: with HOME pointed at an empty folder it writes nothing there that pwsh does not' {
            # pwsh keeps its own start-up cache under HOME; a plain pwsh run gives the baseline.
            $listing = {
                param($Command)
                $emptyHome = Join-Path $TestDrive ([guid]::NewGuid())
                New-Item -ItemType Directory -Path $emptyHome | Out-Null
                $run = Invoke-ChildPwsh -Command $Command -Environment @{ HOME = $emptyHome; XDG_CACHE_HOME = $null; XDG_DATA_HOME = $null }
                $run.ExitCode | Should -Be 0
                [pscustomobject]@{ Output = $run.Output; Files = @(Get-ChildItem -LiteralPath $emptyHome -Force -Recurse | ForEach-Object { $_.FullName.Substring($emptyHome.Length) } | Sort-Object) }
            }
            $baseline = & $listing "Import-Module '$(Get-GridTsneManifestPath)'"
            $embedding = & $listing "Import-Module '$(Get-GridTsneManifestPath)'; (Get-ImageEmbedding -LiteralPath '$good').Dimensions"
            $embedding.Output | Should -Be '512'
            $embedding.Files | Should -Be $baseline.Files
            $embedding.Files | Should -Not -Match 'Microsoft|onnxruntime'
        }
    }

    Context 'Progress and cancellation' {
        BeforeAll {
            $script:many = @($samples.FullName) * 2
            function Start-Embedding([string[]] $Paths) {
                $shell = [powershell]::Create()
                $null = $shell.AddScript("param(`$paths) Import-Module '$(Get-GridTsneManifestPath)'; `$paths | Get-ImageEmbedding").AddArgument($Paths)
                $output = [Management.Automation.PSDataCollection[psobject]]::new()
                [pscustomobject]@{ Shell = $shell; Output = $output; Async = $shell.BeginInvoke([Management.Automation.PSDataCollection[psobject]]::new(), $output) }
            }
        }

        It 'writes progress with done/total, images per second and time left' {
            $run = Start-Embedding $samples[0..39].FullName
            $null = $run.Shell.EndInvoke($run.Async)
            $records = $run.Shell.Streams.Progress
            $run.Shell.Dispose()
            $records.StatusDescription | Should -Contain ($records.StatusDescription | Where-Object { $_ -match '^\d+ of 40 photos, [\d.]+ images/s$' } | Select-Object -First 1)
            ($records | Where-Object { $_.PercentComplete -ge 0 -and $_.SecondsRemaining -ge 0 }) | Should -Not -BeNullOrEmpty
            $records[-1].RecordType | Should -Be 'Completed'
            $run.Output.Count | Should -Be 40
        }

        It 'stops part way when the pipeline is stopped (Ctrl+C)' {
            $stop = Stop-RunningPipeline { param($Paths) $Paths | Get-ImageEmbedding } -ArgumentList (, $many) -Until { param($Shell, $Output) $Output.Count -ge 20 }
            $stop.WasRunning | Should -BeTrue
            $stop.Stopped | Should -BeTrue
            $stop.OutputCount | Should -BeGreaterOrEqual 20
            $stop.OutputCount | Should -BeLessThan $many.Count
        }
    }
}
