//! National ids in lists: the API list shows only the birth date digits; the audited read
//! of one registration shows the whole id to whoever may read it.

use kvalreg_web::WebOptions;

use crate::documents;
use crate::server::TestServer;

#[test]
fn lists_mask_the_national_id_and_the_single_read_shows_it() {
    let server = TestServer::sqlite(WebOptions::default());
    let doc = documents::draft(31, "UNN-TRO", "2024-03-10");
    let national_id = doc["national_id"].as_str().expect("id").to_owned();
    let created = server
        .post("/api/v1/registers/stroke/registrations")
        .json(&doc)
        .send()
        .expect(201);
    let id = created["id"].as_str().expect("id");
    let registrar = server.token("ward", "registrar:stroke:UNN-TRO");
    let list = server
        .get("/api/v1/registers/stroke/registrations")
        .bearer(&registrar)
        .send()
        .expect(200);
    let listed = list["items"][0]["values"]["national_id"].as_str().expect("a masked id");
    assert_eq!(listed, format!("{}*****", &national_id[..6]), "{list}");
    assert!(!list.to_string().contains(&national_id), "{list}");
    let read = server
        .get(&format!("/api/v1/registers/stroke/registrations/{id}"))
        .bearer(&registrar)
        .send()
        .expect(200);
    assert_eq!(read["values"]["national_id"], national_id.as_str(), "{read}");
}
