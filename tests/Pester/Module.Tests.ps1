BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'TestImages.psm1') -Force
    $script:manifestPath = Get-GridTsneManifestPath
}

Describe 'Module manifest' {
    It 'is valid and declares PowerShell 7.4 Core' {
        $manifest = Test-ModuleManifest -Path $manifestPath
        $manifest.PowerShellVersion | Should -Be ([version]'7.4')
        $manifest.CompatiblePSEditions | Should -Be @('Core')
    }

    It 'exports exactly the cmdlets it declares' {
        $declared = (Import-PowerShellDataFile $manifestPath).CmdletsToExport | Sort-Object
        $run = Invoke-ChildPwsh "Import-Module '$manifestPath'; (Get-Command -Module GridTsne).Name | Sort-Object"
        $run.ExitCode | Should -Be 0
        $run.Output | Should -Be $declared
    }

    It 'uses only approved verbs' {
        $approved = (Get-Verb).Verb
        foreach ($name in (Import-PowerShellDataFile $manifestPath).CmdletsToExport) {
            $approved | Should -Contain ($name -split '-')[0]
        }
    }
}
