# build.ps1 Package -> Publish-PSResource to a local repository -> Install-PSResource -> Import-Module by name.
BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'TestImages.psm1') -Force
    $script:repositoryRoot = Split-Path (Get-GridTsneManifestPath)
    $script:version = (Import-PowerShellDataFile (Get-GridTsneManifestPath)).ModuleVersion
    $script:sandbox = Join-Path ([System.IO.Path]::GetTempPath()) "gridtsne-install-$([guid]::NewGuid())"
    $script:emptyHome = New-Item -ItemType Directory -Path (Join-Path $sandbox 'home')
    $script:feed = New-Item -ItemType Directory -Path (Join-Path $sandbox 'feed')
    $script:photos = New-Item -ItemType Directory -Path (Join-Path $sandbox 'photos')
    Get-ChildItem (Join-Path $repositoryRoot 'samples/photos') -Filter '*.png' | Select-Object -First 12 | Copy-Item -Destination $photos
    $pwsh = (Get-Command pwsh -CommandType Application | Select-Object -First 1).Source
    $script:packageOutput = & $pwsh -NoProfile -NonInteractive -File (Join-Path $repositoryRoot 'build.ps1') Package -ProjectUri 'https://gridtsne.example/home' 2>&1
    $script:packageExitCode = $LASTEXITCODE
    $script:package = Join-Path $repositoryRoot "out/GridTsne/$version"
    # A separate home: the install, the repository registration and the user module path all land in the sandbox.
    $script:isolated = @{ HOME = $emptyHome.FullName; XDG_DATA_HOME = $null; XDG_CONFIG_HOME = $null; XDG_CACHE_HOME = $null; PSModulePath = $null }
}

AfterAll {
    Remove-Item -LiteralPath $sandbox -Recurse -Force -ErrorAction SilentlyContinue
}

Describe 'Package' {
    It 'builds a versioned module folder' {
        $packageExitCode | Should -Be 0 -Because ($packageOutput -join "`n")
        Test-ModuleManifest (Join-Path $package 'GridTsne.psd1') | Should -Not -BeNullOrEmpty
        Join-Path $package 'models/resnet18.onnx' | Should -Exist
        Join-Path $package 'en-US/GridTsne.dll-Help.xml' | Should -Exist
    }

    It 'carries the licence, the notices and each component''s licence, and the project and licence addresses' {
        $manifest = Test-ModuleManifest (Join-Path $package 'GridTsne.psd1')
        "$($manifest.ProjectUri)" | Should -Be 'https://gridtsne.example/home'
        "$($manifest.LicenseUri)" | Should -Be 'https://spdx.org/licenses/MIT.html'
        $manifest.ReleaseNotes | Should -Match '0\.1\.0'
        Get-Content -Raw (Join-Path $package 'LICENSE.txt') | Should -Match 'MIT License'
        $notices = Get-Content -Raw (Join-Path $package 'THIRD-PARTY-NOTICES.md')
        foreach ($file in 'Apache-2.0.txt', 'MathNet.Numerics-LICENSE.txt', 'OnnxRuntime-LICENSE.txt', 'OnnxRuntime-ThirdPartyNotices.txt',
            'ResNet18-LICENSE.txt', 'System.Numerics.Tensors-LICENSE.txt', 'SkiaSharp-LICENSE.txt', 'SkiaSharp-THIRD-PARTY-NOTICES.txt') {
            $notices | Should -Match ([regex]::Escape($file))
            (Get-Item (Join-Path $package "licenses/$file")).Length | Should -BeGreaterThan 500 -Because $file
        }
    }

    It 'holds native ONNX Runtime and SkiaSharp for the platforms of GridTsne.csproj only' {
        $rids = Get-ChildItem (Join-Path $package 'bin/deps/runtimes') -Directory | ForEach-Object Name | Sort-Object
        # SkiaSharp's macOS library is universal (x64 and arm64), under runtimes/osx.
        $rids | Should -Be @('linux-arm64', 'linux-x64', 'osx', 'osx-arm64', 'win-arm64', 'win-x64')
        $natives = Get-ChildItem (Join-Path $package 'bin/deps/runtimes') -Recurse -File | ForEach-Object { '{0}/{1}' -f $_.Directory.Parent.Name, $_.Name }
        $natives | Should -Contain 'linux-x64/libSkiaSharp.so'
        $natives | Should -Contain 'win-x64/libSkiaSharp.dll'
        $natives | Should -Contain 'osx/libSkiaSharp.dylib'
        Get-ChildItem $package -Recurse -File | Where-Object Extension -In '.pdb', '.lib', '.aar', '.zip' | Should -BeNullOrEmpty
    }

    It 'is published, installed by name and runs the pipeline in a fresh pwsh' {
        $publish = Invoke-ChildPwsh -Environment $isolated @"
`$ErrorActionPreference = 'Stop'
Register-PSResourceRepository -Name GridTsneTest -Uri '$($feed.FullName)' -Trusted
Publish-PSResource -Path '$package' -Repository GridTsneTest
Install-PSResource -Name GridTsne -Repository GridTsneTest -Scope CurrentUser -TrustRepository
`$installed = Get-InstalledPSResource -Name GridTsne
`$installed.Version.ToString()
`$installed.ProjectUri.AbsoluteUri
"@
        $publish.ExitCode | Should -Be 0 -Because ($publish.Output -join "`n")
        $publish.Output | Should -Contain $version
        $publish.Output | Should -Contain 'https://gridtsne.example/home'

        $grid = Join-Path $sandbox 'grid.png'
        $run = Invoke-ChildPwsh -Environment $isolated @"
`$ErrorActionPreference = 'Stop'
Import-Module GridTsne
(Get-Module GridTsne).ModuleBase
Get-ChildItem '$($photos.FullName)' -File | Get-ImageEmbedding | Invoke-Tsne | Resolve-GridAssignment | Export-PhotoGrid '$grid' -TileSize 32
"@
        $run.ExitCode | Should -Be 0 -Because ($run.Output -join "`n")
        $run.Output[0] | Should -BeLike "$($emptyHome.FullName)*"
        $grid | Should -Exist
        (Get-TestImageSize $grid).Width | Should -Be (4 * 32)
    }
}
