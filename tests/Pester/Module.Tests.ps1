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

    It 'completes every parameter that takes a fixed set of values' {
        $run = Invoke-ChildPwsh @"
Import-Module '$manifestPath'
foreach (`$command in Get-Command -Module GridTsne) {
    foreach (`$parameter in `$command.Parameters.Values) {
        `$set = `$parameter.Attributes.Where({ `$_ -is [System.Management.Automation.ValidateSetAttribute] }, 'First')
        if (-not `$set) { continue }
        `$line = "`$(`$command.Name) -`$(`$parameter.Name) "
        `$offered = (TabExpansion2 -inputScript `$line -cursorColumn `$line.Length).CompletionMatches.CompletionText
        '{0} -{1}: {2} | {3}' -f `$command.Name, `$parameter.Name, ((`$set[0].ValidValues | Sort-Object) -join ','), ((`$offered | Sort-Object) -join ',')
    }
}
"@
        $run.ExitCode | Should -Be 0 -Because ($run.Output -join "`n")
        $run.Output.Count | Should -BeGreaterOrEqual 8 -Because 'Method, Cost, Fit, Initialization, Metric, ChannelOrder, Crop and more take fixed sets'
        foreach ($line in $run.Output) {
            $name, $sets = $line -split ': ', 2
            $valid, $offered = $sets -split ' \| '
            $offered | Should -Be $valid -Because "$name should offer its values"
        }
        $run.Output -match '^Resolve-GridAssignment -Method: Auto,Dense,Sparse \| Auto,Dense,Sparse$' | Should -Not -BeNullOrEmpty
        $run.Output -match '^Export-PhotoGrid -Fit: Contain,Cover \| Contain,Cover$' | Should -Not -BeNullOrEmpty
    }

    It 'uses only approved verbs' {
        $approved = (Get-Verb).Verb
        foreach ($name in (Import-PowerShellDataFile $manifestPath).CmdletsToExport) {
            $approved | Should -Contain ($name -split '-')[0]
        }
    }
}
