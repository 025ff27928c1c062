// The Kotlin smoke test of crosscode-mobile-ffi, compiled with the generated bindings and run on
// the JVM by mobile-ffi/tests/kotlin_smoke.rs.
// Arguments: TRUST_FILE BROKEN_OFFER_URI OFFER_URI WALLET_DIR OUT_FILE.
// A keystore written in Kotlin (the JDK's Ed25519, standing in for Android's keystore) receives
// a health code over OpenID4VCI and presents a dynamic QR; a keystore that throws is a typed error.

import java.io.File
import java.security.KeyPair
import java.security.KeyPairGenerator
import java.security.Signature
import kotlinx.coroutines.runBlocking
import uniffi.crosscode_mobile_ffi.*

class KotlinKeystore(private val failing: Boolean = false) : HolderKeystore {
    val keys = HashMap<String, KeyPair>()

    override fun generate(algorithm: HolderKeyAlgorithm): String {
        check(algorithm == HolderKeyAlgorithm.ED25519)
        val handle = "kt-" + (keys.size + 1)
        keys[handle] = KeyPairGenerator.getInstance("Ed25519").generateKeyPair()
        return handle
    }

    // The X.509 SubjectPublicKeyInfo of an Ed25519 key ends with the 32 raw key bytes.
    override fun publicKey(handle: String): ByteArray =
        keys.getValue(handle).public.encoded.takeLast(32).toByteArray()

    override fun sign(handle: String, message: ByteArray): ByteArray {
        if (failing) throw IllegalStateException("the StrongBox is unavailable")
        val signer = Signature.getInstance("Ed25519")
        signer.initSign(keys.getValue(handle).private)
        signer.update(message)
        return signer.sign()
    }

    override fun delete(handle: String) {
        keys.remove(handle)
    }
}

fun main(args: Array<String>) {
    val (trustFile, brokenOfferUri, offerUri, walletDir, outFile) = args
    val trust = Trust.fromJson(File(trustFile).readText())

    // A keystore that throws: the failure arrives as a typed error, nothing is stored.
    val broken = Wallet.open("$walletDir-broken", "passphrase", KotlinKeystore(failing = true), HolderKeyAlgorithm.ED25519)
    try {
        runBlocking { broken.receive(brokenOfferUri, null, trust) }
        error("a throwing keystore must fail the reception")
    } catch (e: WalletException.Failed) {
        check(e.code == "keystore") { "code ${e.code}" }
        check(e.detail.contains("keystore_callback")) { e.detail }
    }
    check(broken.list().isEmpty())

    val keystore = KotlinKeystore()
    val wallet = Wallet.open(walletDir, "passphrase", keystore, HolderKeyAlgorithm.ED25519)
    val summary = runBlocking { wallet.receive(offerUri, null, trust) }
    check(summary.types.contains("HealthCode"))
    check(summary.status == CredentialStatus.GOOD)
    check(wallet.list().map { it.id } == listOf(summary.id))

    val madeAt = System.currentTimeMillis() / 1000
    val shown = wallet.present(summary.id, listOf("statusColour"), "checkpoint-7", true, false)
    // The target is 1,000 characters; today's issued credential gives ~1,720 (docs/wallet.md).
    check(shown.payload.startsWith("CC1:") && shown.payload.length <= 1800) { "${shown.payload.length} characters" }
    check(shown.timeSlot == madeAt / 30)
    check(!shown.anchored)
    check(wallet.present(summary.id, listOf("statusColour"), "checkpoint-7", true, true).anchored) {
        "the issuer's anchor receipt travels in the code when asked"
    }

    try {
        wallet.present(summary.id, listOf("noSuchClaim"), null, false, false)
        error("an unknown claim must be refused")
    } catch (e: WalletException.Failed) {
        check(e.code == "invalid_disclosure") { "code ${e.code}" }
    }
    File(outFile).writeText(
        "{\"payload\":\"${shown.payload}\",\"madeAt\":$madeAt,\"holderDid\":\"${summary.holderDid}\"}"
    )
    println("kotlin smoke: received ${summary.id}, presented ${shown.payload.length} characters")
}
